package collector_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
)

var update = flag.Bool("update", false, "rewrite the generated self-metrics table of docs/design.md")

// TestDesignDoc keeps docs/design.md true to the schema: its self-metrics
// table is generated from SelfMetrics (-update rewrites it), and its
// InfluxDB schema section names every measurement, tag and field. It is an
// external test because collectortest imports collector.
func TestDesignDoc(t *testing.T) {
	const path = "../docs/design.md"
	var b strings.Builder
	b.WriteString("| metric | type | unit | labels | meaning |\n|---|---|---|---|---|\n")
	for _, d := range collector.SelfMetrics() {
		labels, unit := "—", "—"
		if len(d.Labels) > 0 {
			labels = "`" + strings.Join(d.Labels, "`, `") + "`"
		}
		if d.Unit() != "" {
			unit = d.Unit()
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", d.Name, d.Type, unit, labels, strings.ReplaceAll(d.Help, "|", `\|`))
	}
	collectortest.GeneratedSection(t, path, "<!-- self-metrics: generated from collector.SelfMetrics() -->\n",
		"<!-- end of self-metrics -->\n", b.String(), *update)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, schema, _ := strings.Cut(string(raw), "\n## InfluxDB schema\n")
	schema, _, _ = strings.Cut(schema, "\n## ")
	buckets := collector.DurationBucketFields()
	for _, m := range collector.Schema() {
		names := append([]string{m.Name}, m.Tags...)
		for f := range m.Fields {
			if !strings.HasPrefix(f, "le_") || f == buckets[0] || f == buckets[len(buckets)-1] {
				names = append(names, f)
			}
		}
		for _, n := range names {
			if !strings.Contains(schema, "`"+n+"`") {
				t.Errorf("%s: the InfluxDB schema section does not name `%s` (%s)", path, n, m.Name)
			}
		}
	}
}
