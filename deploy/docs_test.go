package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	mdLink    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdHeading = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
	slugDrop  = regexp.MustCompile(`[^\p{L}\p{N} _-]`)
)

// anchor is GitHub's id of a heading: lowercase, punctuation dropped,
// spaces to dashes.
func anchor(heading string) string {
	s := slugDrop.ReplaceAllString(strings.ToLower(strings.TrimSpace(heading)), "")
	return strings.ReplaceAll(s, " ", "-")
}

// TestDocLinks: every relative link of the operations guide, the design and
// the deployment READMEs points to a file that exists, and to a heading of
// it.
func TestDocLinks(t *testing.T) {
	docs := []string{"../docs/operations.md", "../docs/design.md", "compose/README.md", "kubernetes/README.md", "systemd/README.md"}
	links := 0
	for _, doc := range docs {
		for _, m := range mdLink.FindAllStringSubmatch(readFile(t, doc), -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			links++
			file, frag, _ := strings.Cut(target, "#")
			path := filepath.Join(filepath.Dir(doc), file)
			if file == "" {
				path = doc
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s: link %s: %v", doc, target, err)
				continue
			}
			if frag == "" {
				continue
			}
			found := false
			for _, h := range mdHeading.FindAllStringSubmatch(readFile(t, path), -1) {
				found = found || anchor(h[1]) == frag
			}
			if !found {
				t.Errorf("%s: link %s: no heading with that anchor in %s", doc, target, path)
			}
		}
	}
	if links < 10 {
		t.Errorf("found %d relative links, the guide links the package READMEs and alerts", links)
	}
}

// TestDesignCitations: code and docs cite sections of docs/design.md by
// their anchor; every cited section exists, and nothing cites the design
// file that used to live outside the repository (upper-case, at the root).
func TestDesignCitations(t *testing.T) {
	cite := regexp.MustCompile(`docs/design\.md(#[\p{L}\p{N}_-]+)?|DESIGN\.md`)
	anchors := map[string]bool{}
	for _, h := range mdHeading.FindAllStringSubmatch(readFile(t, "../docs/design.md"), -1) {
		anchors["#"+anchor(h[1])] = true
	}
	cited := 0
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != ".." || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(path); d.IsDir() || ext != ".go" && ext != ".md" && ext != ".yaml" && ext != ".yml" && ext != ".sh" {
			return nil
		}
		for _, m := range cite.FindAllStringSubmatch(readFile(t, path), -1) {
			cited++
			switch {
			case !strings.HasPrefix(m[0], "docs/"):
				t.Errorf("%s cites %s, which is not in the repository: cite a section of docs/design.md", path, m[0])
			case m[1] != "" && !anchors[m[1]]:
				t.Errorf("%s cites %s: docs/design.md has no such section", path, m[0])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cited < 20 {
		t.Errorf("%d citations of docs/design.md found; the code cites it more", cited)
	}
}
