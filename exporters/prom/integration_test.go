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
	e, reg := newTestExporter(t, Options{Stats: stats, Version: "test", Revision: "unknown", GoVersion: "go",
		Capacity: []Capacity{{Site: collector.Site{Department: "92", ENT: "ent92"}, VisitsPerDay: 180000, PeakHourRatio: 0.15}}})
	write(t, e, points...)
	s := NewServer(ServerConfig{ListenAddress: "127.0.0.1:0"}, reg, func() bool { return true }, e.log)
	serveUntilCleanup(t, s)
	return s
}

// TestIntegrationPromtoolCheckMetrics lints a real scrape of the server fed
// every measurement with promtool check metrics, which must say nothing.
func TestIntegrationPromtoolCheckMetrics(t *testing.T) {
	promtool := promtest.Require(t, "promtool")
	s := runServer(t, realisticPoints(t0, 5))
	resp, err := http.Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ent_page_views_total", "ent_visits_total", "ent_requests_total", "ent_response_bytes_total",
		"ent_request_duration_seconds_bucket", "ent_open_visits", "ent_unique_visitors", "enseigno_sessions",
		"infra_cpu_utilization_ratio", "ent_probe_success", "ent_capacity_visits_per_day", "entpipe_build_info",
		"entpipe_lines_total"} {
		if !strings.Contains(string(body), "\n"+name+"{") {
			t.Errorf("scrape lacks %s", name)
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
	p := promtest.Start(t, s.Addr())
	// Site 0 (ent92), profile 2 (enseignant), one of the services.
	want := pageViewsOf(0, 2, minutes)
	q := `ent_page_views_total{department="92",ent="ent92",profile="enseignant",service="notes"}`
	p.WaitFor(q, want, 30*time.Second)
	// Every series arrived: one per site, profile and service.
	p.WaitFor(`count(ent_page_views_total)`, float64(3*len(collector.Profiles())*4), 10*time.Second)
	p.WaitFor(fmt.Sprintf(`sum(ent_capacity_visits_per_day{ent=%q})`, "ent92"), 180000, 10*time.Second)
}
