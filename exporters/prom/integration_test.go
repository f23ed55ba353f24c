package prom

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/exporters/prom/promtest"
)

// runServer starts a Server on loopback serving an exporter fed points, and
// stops it when the test ends.
func runServer(t *testing.T, points []collector.Point) *Server {
	t.Helper()
	stats := collector.NewStats()
	stats.Counter(collector.MetricLines, "source", "ent92", "result", collector.ResultParsed).Add(1234)
	stats.Gauge(collector.MetricSourceUp, "source", "ent92").Set(1)
	e, reg := newTestExporter(t, Options{Stats: stats,
		Capacity: []Capacity{{Site: collector.Site{Department: "92", ENT: "ent92"}, VisitsPerDay: 180000, PeakHourRatio: 0.15}}})
	write(t, e, points...)
	s, err := NewServer(ServerConfig{ListenAddresses: []string{"127.0.0.1:0"}}, reg, func() bool { return true }, e.log)
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, s)
	return s
}

// TestIntegrationPromtoolCheckMetrics lints a real scrape of the server fed
// every measurement with promtool check metrics, which must say nothing,
// and finds in it every family of collector.ExporterMetrics, with its help
// and type.
func TestIntegrationPromtoolCheckMetrics(t *testing.T) {
	promtool := promtest.Require(t, "promtool")
	s := runServer(t, realisticPoints(t0, 5))
	resp, err := http.Get("http://" + s.Addrs()[0] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range collector.ExporterMetrics() {
		sample := d.Name + "{"
		if d.Type == collector.HistogramType {
			sample = d.Name + "_bucket{"
		}
		if len(d.Labels) == 0 {
			sample = d.Name + " "
		}
		for _, want := range []string{"# HELP " + d.Name + " " + d.Help + "\n", "# TYPE " + d.Name + " " + d.Type.String() + "\n", "\n" + sample} {
			if !strings.Contains(string(body), want) {
				t.Errorf("scrape lacks %q", want)
			}
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(string(body))
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestIntegrationPrometheusScrapesExporter runs a real Prometheus scraping
// the server and reads ent_page_views_total back through its query API.
func TestIntegrationPrometheusScrapesExporter(t *testing.T) {
	const minutes = 4
	s := runServer(t, realisticPoints(t0, minutes))
	p := promtest.Start(t, s.Addrs()[0])
	// Site 0 (ent92), profile 2 (enseignant), one of the services.
	want := pageViewsOf(0, 2, minutes)
	q := `ent_page_views_total{department="92",ent="ent92",profile="enseignant",service="notes"}`
	p.WaitFor(q, want, 30*time.Second)
	// Every series arrived: one per site, profile and service.
	p.WaitFor(`count(ent_page_views_total)`, float64(3*len(collector.Profiles())*4), 10*time.Second)
	p.WaitFor(fmt.Sprintf(`sum(ent_capacity_visits_per_day{ent=%q})`, "ent92"), 180000, 10*time.Second)
}
