package infra

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
)

var update = flag.Bool("update", false, "rewrite testdata/<case>/want.lp goldens")

// t0 is the first poll of every fixture case; polls are 15 s apart.
var t0 = time.Date(2020, 3, 30, 6, 0, 0, 0, time.UTC)

// stepClock returns t0, t0+15s, t0+30s… one step per call.
func stepClock() func() time.Time {
	var n atomic.Int64
	return func() time.Time { return t0.Add(time.Duration(n.Add(1)-1) * 15 * time.Second) }
}

// pages serves the given bodies in turn, one per request, repeating the
// last; a body "!down" answers 503.
func pages(t *testing.T, bodies ...string) *httptest.Server {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := min(int(n.Add(1)-1), len(bodies)-1)
		if bodies[i] == "!down" {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, bodies[i])
	}))
	t.Cleanup(srv.Close)
	return srv
}

func testConfig(node ...string) Config {
	return Config{Site: collector.Site{Department: "92", ENT: "ent92"}, NodeExporter: node}
}

// newSource builds a Source on a step clock, with its Stats.
func newSource(t *testing.T, cfg Config) (*Source, *collector.Stats) {
	t.Helper()
	stats := collector.NewStats()
	s, err := New("front92", cfg, Options{Stats: stats, Now: stepClock()})
	if err != nil {
		t.Fatal(err)
	}
	return s, stats
}

// TestNodeFixtures replays testdata/<case>/1.prom, 2.prom… as successive
// scrapes of one node_exporter, 15 s apart, and compares every point with
// testdata/<case>/want.lp (-update rewrites it).
func TestNodeFixtures(t *testing.T) {
	for _, c := range []string{"steady", "counter_reset", "missing_series"} {
		t.Run(c, func(t *testing.T) {
			var bodies []string
			for i := 1; ; i++ {
				b, err := os.ReadFile(filepath.Join("testdata", c, fmt.Sprintf("%d.prom", i)))
				if os.IsNotExist(err) {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				bodies = append(bodies, string(b))
			}
			srv := pages(t, bodies...)
			cfg := testConfig(srv.URL + "/metrics")
			cfg.HostLabels = map[string]string{srv.URL + "/metrics": "web1"}
			s, _ := newSource(t, cfg)
			var all []collector.Point
			for range bodies {
				points, err := s.Gather(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, points...)
			}
			collectortest.Golden(t, filepath.Join("testdata", c, "want.lp"), collectortest.LineProtocol(all), *update)
		})
	}
}

// TestTargetDown checks that a failing node_exporter marks the source down
// and counts the error, and that the next success recovers with a rate over
// the whole gap (no spike, no negative value).
func TestTargetDown(t *testing.T) {
	steady1, steady2 := readFixture(t, "steady/1.prom"), readFixture(t, "steady/2.prom")
	srv := pages(t, steady1, "!down", steady2)
	s, stats := newSource(t, testConfig(srv.URL))
	id := "node_exporter/" + srv.Listener.Addr().String()
	errs := stats.Counter(collector.MetricScrapeErrors, collector.LabelSource, "front92", collector.LabelTarget, id)
	up := stats.Gauge(collector.MetricScrapeUp, collector.LabelSource, "front92", collector.LabelTarget, id)

	if _, err := s.Gather(context.Background()); err != nil || up.Value() != 1 {
		t.Fatalf("first gather: err %v, up %v", err, up.Value())
	}
	points, err := s.Gather(context.Background())
	if err == nil || len(points) != 0 {
		t.Fatalf("gather of a down target: err %v, points %v; want an error and no points", err, points)
	}
	if errs.Value() != 1 || up.Value() != 0 {
		t.Fatalf("down target: errors %v, up %v; want 1, 0", errs.Value(), up.Value())
	}
	points, err = s.Gather(context.Background())
	if err != nil || up.Value() != 1 || errs.Value() != 1 {
		t.Fatalf("recovery: err %v, up %v, errors %v", err, up.Value(), errs.Value())
	}
	// steady 1→2 moved 18000 received bytes; the gap is two polls (30 s).
	if got := points[0].Fields[collector.FieldNetReceiveBps]; got != 600.0 {
		t.Errorf("receive rate after recovery = %v, want 600 (18000 B over 30 s)", got)
	}
}

// TestBadBodies checks that garbage, pages from another program, a huge
// body and a slow target are errors, not points.
func TestBadBodies(t *testing.T) {
	huge := readFixture(t, "steady/1.prom")
	for len(huge) < 4096 {
		huge += "# padding comment\n"
	}
	f := func(name string, cfg func(*Config), handler http.HandlerFunc, want string) {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(handler)
			t.Cleanup(srv.Close)
			c := testConfig(srv.URL)
			if cfg != nil {
				cfg(&c)
			}
			s, stats := newSource(t, c)
			points, err := s.Gather(context.Background())
			if err == nil || !strings.Contains(err.Error(), want) || len(points) != 0 {
				t.Fatalf("err %v, points %v; want an error containing %q", err, points, want)
			}
			id := "node_exporter/" + srv.Listener.Addr().String()
			if n := stats.Counter(collector.MetricScrapeErrors, collector.LabelSource, "front92", collector.LabelTarget, id).Value(); n != 1 {
				t.Errorf("errors counted = %v, want 1", n)
			}
		})
	}
	body := func(b string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, b) }
	}
	f("garbage", nil, body("\x00\x01\xffnot { an exposition\n"), "parse exposition")
	f("html login page", nil, body("<html><body>Connexion</body></html>\n"), "parse exposition")
	f("empty page", nil, body(""), "not a node_exporter page")
	f("other exporter", nil, body("up 1\nprocess_cpu_seconds_total 3\n"), "not a node_exporter page")
	f("huge body", func(c *Config) { c.MaxBodySize = 1024 }, body(huge), "larger than max_body_size")
	f("slow target", func(c *Config) { c.Timeout = 50 * time.Millisecond },
		func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, "deadline exceeded")
	f("status 404", nil, http.NotFound, "status 404")
}

// TestPartialFailure checks that one failing target does not hide the
// others: their points come back without an error.
func TestPartialFailure(t *testing.T) {
	good := pages(t, readFixture(t, "steady/1.prom"))
	bad := pages(t, "!down")
	s, stats := newSource(t, testConfig(bad.URL, good.URL))
	points, err := s.Gather(context.Background())
	if err != nil || len(points) != 1 || points[0].Tags[collector.TagHost] != good.Listener.Addr().String() {
		t.Fatalf("err %v, points %v; want one point of the good target", err, points)
	}
	id := "node_exporter/" + bad.Listener.Addr().String()
	if n := stats.Counter(collector.MetricScrapeErrors, collector.LabelSource, "front92", collector.LabelTarget, id).Value(); n != 1 {
		t.Errorf("errors of the bad target = %v, want 1", n)
	}
}

func readFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGatherCancelled checks that a poll interrupted by shutdown is not
// counted against the targets.
func TestGatherCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(srv.Close)
	cfg := testConfig(srv.URL)
	cfg.Probes = []Probe{{Name: "login", URL: srv.URL}}
	s, stats := newSource(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	points, err := s.Gather(ctx)
	if err != context.Canceled || len(points) != 0 {
		t.Fatalf("err %v, points %v; want context.Canceled and no points", err, points)
	}
	for _, m := range stats.Snapshot() {
		if m.Name == collector.MetricScrapeErrors && m.Value != 0 {
			t.Errorf("%s%v = %v after a cancelled poll, want 0", m.Name, m.Labels, m.Value)
		}
	}
}

// TestCredentialsStayOut checks that credentials and queries in target
// URLs reach neither the logs nor the errors nor the tags.
func TestCredentialsStayOut(t *testing.T) {
	var logs strings.Builder
	down := pages(t, "!down")
	refused := "http://entpipe:s3cret@127.0.0.1:1/metrics?token=t0ken"
	cfg := testConfig(refused, strings.Replace(down.URL, "http://", "http://entpipe:s3cret@", 1)+"/?token=t0ken")
	cfg.Probes = []Probe{{Name: "login", URL: "http://127.0.0.1:1/login?ticket=t0ken"}}
	s, err := New("front92", cfg, Options{Log: slog.New(slog.NewTextHandler(&logs, nil)), Now: stepClock()})
	if err != nil {
		t.Fatal(err)
	}
	points, err := s.Gather(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := logs.String() + collectortest.LineProtocol(points)
	for _, secret := range []string{"s3cret", "t0ken"} {
		if strings.Contains(out, secret) {
			t.Errorf("%q leaked:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "scrape failed") || !strings.Contains(out, "probe failed") {
		t.Errorf("failures not logged:\n%s", out)
	}
}
