package entlog

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// genLine is one generated ent-format log line with its event time.
type genLine struct {
	t    time.Time
	text string
}

// genPaths mix the classes in roughly ENT proportions: pages, static
// assets, API calls, downloads and health checks.
var genPaths = []string{
	"/welcome", "/conversation/inbox", "/homeworks", "/timeline", "/welcome", "/blog/post",
	"/assets/app.js", "/assets/theme.css", "/img/logo.png", "/assets/app.js", "/fonts/a.woff2",
	"/api/notifications", "/api/messages", "/api/feed",
	"/docs/cours.pdf", "/healthz",
}

var genProfiles = []string{"ELEVE", "ELEVE", "ELEVE", "PARENT", "ENSEIGNANT", "PERSONNEL", "National_ELV", "-"}

// genLog makes n realistic ent-format lines from about visitors visitors,
// in time order from start, spaced so that they cover span. Identities are
// u<i>, 10.<a>.<b>.<c> and "Mozilla/5.0 ... v<i>" so tests can look for them.
func genLog(seed uint64, n, visitors int, start time.Time, span time.Duration) []genLine {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	lines := make([]genLine, n)
	step := span / time.Duration(n)
	for i := range lines {
		t := start.Add(time.Duration(i) * step)
		v := rng.IntN(visitors)
		user, prof := fmt.Sprintf("u%06d", v), genProfiles[v%len(genProfiles)]
		if v%5 == 0 { // a fifth of visitors are anonymous
			user, prof = "-", "-"
		}
		ua := fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/75.0 v%d", v%97)
		if rng.IntN(50) == 0 {
			ua = "Googlebot/2.1 (+http://www.google.com/bot.html)"
		}
		status := 200
		switch rng.IntN(20) {
		case 0:
			status = 304
		case 1:
			status = 404
		case 2:
			status = 302
		}
		method := "GET"
		if rng.IntN(15) == 0 {
			method = "POST"
		}
		path := genPaths[rng.IntN(len(genPaths))]
		lines[i] = genLine{t: t, text: fmt.Sprintf(`10.%d.%d.%d - %s [%s] "%s %s?x=%d HTTP/1.1" %d %d "https://ent.example/" "%s" %d.%03d "%s"`,
			v>>16&255, v>>8&255, v&255, user, t.Format("02/Jan/2006:15:04:05 -0700"), method, path, i%7,
			status, 200+rng.IntN(50000), ua, rng.IntN(3), rng.IntN(1000), prof)}
	}
	return lines
}

func joinLines(lines []genLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	return b.String()
}

func writeFile(t testing.TB, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func parisZone(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func genConfig(paths ...string) Config {
	cfg := Config{Paths: paths, ParseConfig: ParseConfig{Format: "ent", HealthPaths: []string{"/healthz"},
		Services: map[string]string{"/conversation": "messagerie", "/homeworks": "cahier-de-textes"}}}
	cfg.Site.Department, cfg.Site.ENT = "92", "ent92"
	cfg.ApplyDefaults()
	return cfg
}

// TestPropertyOrderAndSplit: the same lines in one file, split into many
// files, or shuffled by up to ±5 s (less than the reorder window) give the
// same points. The lines cross midnight so visits split there too.
func TestPropertyOrderAndSplit(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2020, 3, 30, 23, 20, 0, 0, parisZone(t))
	lines := genLog(1, 20000, 400, start, 90*time.Minute)
	cfg := genConfig("unused")
	want, sum := importLP(t, newTestSource(t, cfg, Options{}), writeFile(t, filepath.Join(dir, "one.log"), joinLines(lines)))
	if sum.PageViews == 0 || sum.Visits == 0 || sum.Visits >= sum.PageViews {
		t.Fatalf("generator gives no useful audience: %+v", sum)
	}

	var parts []string
	for i, rest := 0, lines; len(rest) > 0; i++ {
		n := min(len(rest), 1+i*i*37%3000)
		parts = append(parts, writeFile(t, filepath.Join(dir, fmt.Sprintf("part%03d.log", i)), joinLines(rest[:n])))
		rest = rest[n:]
	}
	if got, _ := importLP(t, newTestSource(t, cfg, Options{}), parts...); got != want {
		t.Errorf("split into %d files: points differ\n%s", len(parts), diffLP(want, got))
	}

	rng := rand.New(rand.NewPCG(2, 3))
	type keyed struct {
		at   time.Time
		line genLine
	}
	shuffled := make([]keyed, len(lines))
	for i, l := range lines {
		shuffled[i] = keyed{l.t.Add(time.Duration(rng.IntN(9999)-4999) * time.Millisecond), l}
	}
	slices.SortStableFunc(shuffled, func(a, b keyed) int { return a.at.Compare(b.at) })
	moved := 0
	for i := range shuffled {
		lines[i], moved = shuffled[i].line, moved+boolInt(shuffled[i].line.text != lines[i].text)
	}
	if moved == 0 {
		t.Fatal("shuffle moved nothing")
	}
	got, _ := importLP(t, newTestSource(t, cfg, Options{}), writeFile(t, filepath.Join(dir, "shuffled.log"), joinLines(lines)))
	if got != want {
		t.Errorf("shuffled ±5 s (%d lines moved): points differ\n%s", moved, diffLP(want, got))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// diffLP shows the first lines that differ between two goldens.
func diffLP(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	fmt.Fprintf(&b, "%d lines want, %d got\n", len(w), len(g))
	for i, shown := 0, 0; i < max(len(w), len(g)) && shown < 5; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "-%s\n+%s\n", wl, gl)
			shown++
		}
	}
	return b.String()
}
