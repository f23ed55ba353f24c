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

// TestDocLinks: every relative link of the operations guide and of the
// deployment READMEs points to a file that exists, and to a heading of it.
func TestDocLinks(t *testing.T) {
	docs := []string{"../docs/operations.md", "compose/README.md", "kubernetes/README.md", "systemd/README.md"}
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
