package deploy_test

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/entpipe/entpipe/collector"
)

// metricToken matches what looks like one of entpipe's metric names: an
// ent_, entpipe_, enseigno_ or infra_ word that is not an nginx variable
// ($ent_profile). InfluxDB names share the prefixes; they are told apart
// with collector.Schema().
var metricToken = regexp.MustCompile(`(^|[^$\w])((?:ent|entpipe|enseigno|infra)_[a-z0-9_]*)`)

// TestMetricNamesExist: every metric name the alert rules and their tests,
// the Kubernetes PrometheusRule, the dashboards' queries and boards and
// every Markdown file use is a row of collector.Metrics(), the one table of
// the metrics entpipe serves, so a rename there cannot leave a rule, a
// panel or a doc reading a metric that no longer exists. A word ending in _
// is a prefix (`ent_capacity_*`). The README's upgrade notes are the one
// place where old names are written; each must be gone from the table.
func TestMetricNamesExist(t *testing.T) {
	names := map[string]bool{}
	for _, d := range collector.Metrics() {
		names[d.Name] = true
		if d.Type == collector.HistogramType {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				names[d.Name+suffix] = true
			}
		}
	}
	schema := map[string]bool{}
	for _, m := range collector.Schema() {
		schema[m.Name] = true
	}
	// Words of the nginx log format examples that share the prefix.
	nginx := map[string]bool{"ent_profile": true, "ent_uid": true}
	known := func(token string) bool {
		if names[token] || schema[token] || nginx[token] {
			return true
		}
		if strings.HasSuffix(token, "_") {
			for n := range names {
				if strings.HasPrefix(n, token) {
					return true
				}
			}
		}
		return false
	}

	files := []string{"kubernetes/base/prometheusrule.yaml", "../dashboards/queries.go"}
	for _, pattern := range []string{"prometheus/rules/*.yml", "grafana/dashboards/*.json", "../*.md", "../*/*.md", "../*/*/*.md", "../*/*/*/*.md", "../*/*/*/*/*.md"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	checked := 0
	for _, f := range files {
		text := readFile(t, f)
		if f == "../README.md" {
			text, _ = cutUpgradeNotes(t, text) // old names are written there
		}
		for _, m := range metricToken.FindAllStringSubmatch(text, -1) {
			checked++
			if !known(m[2]) {
				t.Errorf("%s: %s is neither a metric of collector.Metrics() nor an InfluxDB measurement", f, m[2])
			}
		}
	}
	if checked < 200 {
		t.Fatalf("only %d metric names found in %d files: the test is not looking at them", checked, len(files))
	}
}

// cutUpgradeNotes returns README.md without its "Upgrading" section, and
// that section.
func cutUpgradeNotes(t *testing.T, readme string) (rest, notes string) {
	t.Helper()
	const heading = "\n## Upgrading"
	before, after, ok := strings.Cut(readme, heading)
	if !ok {
		t.Fatal("README.md has no ## Upgrading section listing the metric renames")
	}
	notes, tail, _ := strings.Cut(after, "\n## ")
	return before + "\n## " + tail, notes
}

// TestUpgradeNotesListRenames: the README's upgrade notes name every metric
// this version renamed or removed (each gone from collector.Metrics()), in
// the first column of a table whose second says what to use instead.
func TestUpgradeNotesListRenames(t *testing.T) {
	_, notes := cutUpgradeNotes(t, readFile(t, "../README.md"))
	before := map[string]string{}
	for l := range strings.Lines(notes) {
		if cells := strings.Split(l, "|"); len(cells) > 3 {
			if m := metricToken.FindStringSubmatch(cells[1]); m != nil {
				before[m[2]] = strings.TrimSpace(cells[2])
			}
		}
	}
	gone := []string{"ent_unique_visitors", "entpipe_source_lag_seconds", "ent_probe_tls_remaining_seconds",
		"infra_network_receive_bytes_per_second", "infra_network_transmit_bytes_per_second", "infra_http_requests_per_second"}
	for _, old := range gone {
		if before[old] == "" {
			t.Errorf("README.md upgrade notes: no row for %s with what replaces it", old)
		}
	}
	for _, d := range collector.Metrics() {
		if slices.Contains(gone, d.Name) {
			t.Errorf("%s is listed as renamed, but still in collector.Metrics()", d.Name)
		}
	}
}
