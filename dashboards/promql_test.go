package dashboards

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/dashboards/grafanatest"
)

// promExprs returns every PromQL target of every board, expanded as
// Grafana does (board variables as an alternative of all their values,
// $__rate_interval for a 15 s scrape over a day).
func promExprs(t *testing.T) []string {
	var out []string
	from, to := fixtureNow.Add(-24*time.Hour), fixtureNow
	w := grafanatest.Window{From: from, To: to, Interval: grafanatest.Interval(from, to, 15*time.Second, maxDataPoints),
		Vars: map[string][]string{"department": {"92", "78"}, "ent": {"ent92", "ecollege78", "oze78"}}}
	for _, b := range boards(t) {
		for _, p := range panels(b) {
			for _, q := range promTargets(p) {
				e, err := grafanatest.PromQL(q.Expr, w, 15*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, e)
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d PromQL targets found", len(out))
	}
	return out
}

var metricRE = regexp.MustCompile(`\b(ent(?:pipe)?_[a-z0-9_]+)\b`)

// TestPromQLMetricNames: every metric a Prometheus panel reads is one
// entpipe exports (collector.Metrics).
func TestPromQLMetricNames(t *testing.T) {
	known := map[string]bool{}
	for _, d := range collector.Metrics() {
		known[d.Name] = true
	}
	for _, e := range promExprs(t) {
		names := metricRE.FindAllString(e, -1)
		if len(names) == 0 {
			t.Errorf("no metric in %q", e)
		}
		for _, n := range names {
			if !known[n] {
				t.Errorf("%q reads %s, which entpipe does not export", e, n)
			}
		}
	}
}

// TestIntegrationPromQLParses has the real promtool parse every PromQL
// target, as recording rules.
func TestIntegrationPromQLParses(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("ENTPIPE_INTEGRATION") == "require" || os.Getenv("CI") == "true" {
			t.Fatal("promtool not found (integration tests are required here)")
		}
		t.Skip("promtool not found: install the Debian package prometheus")
	}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboards\n    rules:\n")
	for i, e := range promExprs(t) {
		fmt.Fprintf(&rules, "      - record: dashboards:expr%d\n        expr: %q\n", i, e)
	}
	path := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}
