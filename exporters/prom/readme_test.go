package prom

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
)

var update = flag.Bool("update", false, "rewrite the generated metrics table of README.md")

// TestReadmeMetrics keeps README.md's metrics table true to the code: it is
// generated (-update rewrites it) from collector.Metrics(), the one table of
// every family, and from the bindings that say where each value comes from.
func TestReadmeMetrics(t *testing.T) {
	from := map[string]string{
		collector.MetricCapacityVisitsPerDay: "configuration `capacity[].visits_per_day`",
		collector.MetricCapacityPeakHour:     "configuration `capacity[].peak_hour_ratio`",
		collector.MetricBuildInfo:            "constant 1 (client_golang's version collector; labels set at build time)",
		collector.MetricHTTPConnections:      "the HTTP server",
		collector.MetricHTTPMaxConnections:   "the HTTP server",
		collector.MetricHTTPEvicted:          "the HTTP server",
	}
	for _, b := range bindings() {
		f := "`" + b.measurement + "." + b.field + "`"
		if b.split != "" {
			f += fmt.Sprintf(" where `%s=%s`", b.split, b.splitValue)
		}
		if b.scale != 0 {
			f += fmt.Sprintf(" × %g", b.scale)
		}
		if b.sinceBucket {
			f += " + the point's time"
		}
		from[b.metric] = f
	}
	h := requestDuration()
	from[h.name] = fmt.Sprintf("`%s.%s` … `%s`, `%s`, `%s`", h.measurement, h.boundFields[0], h.boundFields[len(h.boundFields)-1], h.count, h.sum)
	for _, d := range collector.SelfMetrics() {
		from[d.Name] = "self-metric (`collector.Stats`)"
	}
	var b strings.Builder
	b.WriteString("| metric | type | unit | labels | from | meaning |\n|---|---|---|---|---|---|\n")
	for _, d := range collector.Metrics() {
		labels, unit := "—", "—"
		if len(d.Labels) > 0 {
			labels = strings.Join(d.Labels, ", ")
		}
		if d.Unit() != "" {
			unit = d.Unit()
		}
		if from[d.Name] == "" {
			t.Errorf("%s: no binding, histogram or other source in this package", d.Name)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", d.Name, d.Type, unit, labels, from[d.Name], strings.ReplaceAll(d.Help, "|", `\|`))
	}
	collectortest.GeneratedSection(t, "README.md", "<!-- metrics: generated from collector.Metrics() by TestReadmeMetrics -->\n",
		"<!-- end of metrics -->\n", b.String(), *update)
}
