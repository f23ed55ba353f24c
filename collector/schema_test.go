package collector

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestVocabularies: every list is non-empty, without duplicates, its index
// lookups agree with it, and each list is a tag vocabulary of the schema.
func TestVocabularies(t *testing.T) {
	vocab := Vocabularies()
	for key, list := range vocab {
		if len(list) == 0 || slices.Contains(list, "") || len(slices.Compact(slices.Sorted(slices.Values(list)))) != len(list) {
			t.Errorf("%s: %q has an empty or repeated value", key, list)
		}
		if slices.Contains(list, Other) {
			t.Errorf("%s: %q holds %q, the fold of out-of-vocabulary values", key, list, Other)
		}
	}
	for i, c := range Classes() {
		if ClassIndex(c) != i {
			t.Errorf("ClassIndex(%q) = %d, want %d", c, ClassIndex(c), i)
		}
	}
	if ClassIndex("invalid") != -1 || ClassIndex("") != -1 {
		t.Error("ClassIndex accepts a value outside Classes")
	}
	for code, want := range map[int]string{100: "1xx", 200: "2xx", 304: "3xx", 404: "4xx", 503: "5xx", 0: "1xx", 99: "1xx", 600: "5xx", 999: "5xx"} {
		if got := StatusClasses()[StatusClassIndex(code)]; got != want {
			t.Errorf("status %d: class %s, want %s", code, got, want)
		}
	}
	fields := DurationBucketFields()
	if len(fields) != len(DurationBuckets()) || fields[0] != "le_0.05" || fields[len(fields)-1] != "le_10" {
		t.Errorf("DurationBucketFields() = %q", fields)
	}
	tagged := map[string]bool{}
	for _, m := range Schema() {
		for _, tag := range m.Tags {
			tagged[tag] = true
		}
	}
	for key := range vocab {
		if !tagged[key] {
			t.Errorf("vocabulary of %s, which no measurement has as a tag", key)
		}
	}
}

// TestMetricsTable: each row is complete, follows Prometheus naming (a
// self-metric starts with entpipe_, only counters end in _total, a unit in
// the name is a base unit, never a rate), and appears once.
func TestMetricsTable(t *testing.T) {
	metricName := regexp.MustCompile(`^(ent|entpipe|enseigno|infra)_[a-z0-9_]+[a-z0-9]$`)
	labelName := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	notBase := regexp.MustCompile(`_(per_second|lag|milliseconds|hours|days|kilobytes|percent)(_|$)`)
	for _, d := range SelfMetrics() {
		if !strings.HasPrefix(d.Name, "entpipe_") {
			t.Errorf("%s: a self-metric outside entpipe_", d.Name)
		}
	}
	seen := map[string]bool{}
	for _, d := range Metrics() {
		switch {
		case seen[d.Name]:
			t.Errorf("%s: two rows", d.Name)
		case !metricName.MatchString(d.Name):
			t.Errorf("%s: not an ent_, entpipe_, enseigno_ or infra_ metric name", d.Name)
		case (d.Type == CounterType) != strings.HasSuffix(d.Name, "_total"):
			t.Errorf("%s: a %s; only counters, and every counter, end in _total", d.Name, d.Type)
		case notBase.MatchString(d.Name):
			t.Errorf("%s: a rate, a time-since or a unit that is not a base unit", d.Name)
		case len(d.Help) < 20 || !strings.HasSuffix(d.Help, "."):
			t.Errorf("%s: help %q is not a sentence", d.Name, d.Help)
		}
		seen[d.Name] = true
		for _, l := range d.Labels {
			if !labelName.MatchString(l) || strings.HasPrefix(l, "__") || l == "le" || l == "quantile" {
				t.Errorf("%s: label %q", d.Name, l)
			}
		}
		if len(slices.Compact(slices.Sorted(slices.Values(d.Labels)))) != len(d.Labels) {
			t.Errorf("%s: repeated label in %q", d.Name, d.Labels)
		}
	}
}

// TestEveryMetricConstantHasARow reads schema.go and metrics.go: a Metric…
// name added to the constants without a row in the table fails here, before
// any Stats call with it panics or the exporter refuses it.
func TestEveryMetricConstantHasARow(t *testing.T) {
	rows := map[string]bool{}
	for _, d := range Metrics() {
		rows[d.Name] = true
	}
	n := 0
	for _, file := range []string{"schema.go", "metrics.go"} {
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			vs, ok := node.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Metric") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					continue
				}
				value, _ := strconv.Unquote(lit.Value)
				n++
				if !rows[value] {
					t.Errorf("%s = %q has no row in Metrics", name.Name, value)
				}
			}
			return true
		})
	}
	if n != len(rows) {
		t.Errorf("%d Metric constants, %d rows in Metrics", n, len(rows))
	}
}

// TestStatsChecksDefinitions: a use that disagrees with the table panics,
// naming the metric; a use that agrees does not.
func TestStatsChecksDefinitions(t *testing.T) {
	s := NewStats()
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			t.Helper()
			if r := recover(); r == nil || !strings.Contains(r.(string), name) {
				t.Errorf("panic %v, want a BUG naming %s", r, name)
			}
		}()
		f()
	}
	mustPanic("entpipe_nope_total", func() { s.Counter("entpipe_nope_total") })
	mustPanic(MetricSourceUp, func() { s.Counter(MetricSourceUp, LabelSource, "a") })
	mustPanic(MetricLines, func() { s.Counter(MetricLines, LabelSource, "a") })
	mustPanic(MetricLines, func() { s.Counter(MetricLines, LabelResult, "parsed", LabelSource, "a") })
	mustPanic(MetricInfluxPoints, func() { s.Counter(MetricInfluxPoints, LabelReason, "x") })
	s.Counter(MetricLines, LabelSource, "a", LabelResult, ResultParsed).Add(2)
	s.Gauge(MetricSpoolBytes).Set(5)
	got := s.Snapshot()
	if len(got) != 2 || got[0].Name != MetricLines || got[0].Value != 2 || got[1].Type != GaugeType || got[1].Value != 5 {
		t.Errorf("snapshot %+v", got)
	}
}
