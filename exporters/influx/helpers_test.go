package influx_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/exporters/influx"
	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// testConfig points at s with short retries so outages end quickly.
func testConfig(url, bucket string) influx.Config {
	return influx.Config{
		URL: url, Bucket: bucket, BatchSize: 500, FlushInterval: 50 * time.Millisecond,
		Timeout: 5 * time.Second, RetryInterval: 20 * time.Millisecond, MaxRetryInterval: 500 * time.Millisecond,
	}
}

// syncBuffer is a concurrency-safe log destination.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type harness struct {
	sink  *influx.Sink
	stats *collector.Stats
	log   *syncBuffer
	dir   string
}

func newHarness(t *testing.T, cfg influx.Config, dir string) *harness {
	t.Helper()
	h := &harness{stats: collector.NewStats(), log: &syncBuffer{}, dir: dir}
	sink, err := influx.New(cfg, influx.Options{DataDir: dir, Stats: h.stats,
		Log: slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	h.sink = sink
	return h
}

// value returns the current value of a self-metric (0 when absent).
func (h *harness) value(name string, labels ...string) float64 {
	for _, s := range h.stats.Snapshot() {
		if s.Name == name && fmt.Sprint(s.Labels) == fmt.Sprint(labels) {
			return s.Value
		}
	}
	return 0
}

// spoolFiles lists the segment files on disk.
func (h *harness) spoolFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(influx.SpoolDir(h.dir), "*.spool"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func (h *harness) close(t *testing.T, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := h.sink.Close(ctx); err != nil {
		t.Fatalf("close: %v\nlog:\n%s", err, h.log)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}

// traffic is a generator of ent_traffic bucket totals: round r rewrites
// every bucket with larger totals, so only an in-order delivery ends with
// the last round's values.
type traffic struct {
	minutes int
	start   time.Time
}

func (g traffic) round(r int) []collector.Point {
	var pts []collector.Point
	for m := range g.minutes {
		for i, profile := range collector.Profiles() {
			pts = append(pts, collector.Point{
				Measurement: collector.MeasTraffic,
				Tags:        map[string]string{collector.TagDepartment: "92", collector.TagENT: "ent92", collector.TagProfile: profile},
				Fields: map[string]any{
					collector.FieldVisits:    int64(r*1000 + m + i),
					collector.FieldPageViews: int64(r*7000 + 3*m + i),
				},
				Time: g.start.Add(time.Duration(m) * time.Minute),
			})
		}
	}
	return pts
}

// want returns the sums InfluxDB must hold after round r was the last.
func (g traffic) want(r int) (visits, pageViews, points int64) {
	for _, p := range g.round(r) {
		visits += p.Fields[collector.FieldVisits].(int64)
		pageViews += p.Fields[collector.FieldPageViews].(int64)
		points++
	}
	return
}

// totals reads back sum(visits), sum(page_views), count(visits).
func totals(t *testing.T, s *influxtest.Server) (visits, pageViews, points int64) {
	t.Helper()
	res := s.MustQuery(`SELECT sum(visits), sum(page_views), count(visits) FROM ent_traffic`)
	if len(res) != 1 || len(res[0].Values) != 1 {
		t.Fatalf("totals: %+v", res)
	}
	row := res[0].Values[0]
	n := func(v any) int64 {
		var x int64
		if _, err := fmt.Sscan(fmt.Sprint(v), &x); err != nil {
			t.Fatalf("totals: %v is not an integer", v)
		}
		return x
	}
	return n(row[1]), n(row[2]), n(row[3])
}

func writeAll(t *testing.T, sink *influx.Sink, pts []collector.Point) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for len(pts) > 0 {
		n := min(len(pts), 137) // odd chunks, unrelated to the batch size
		if err := sink.Write(ctx, pts[:n]); err != nil {
			t.Fatal(err)
		}
		pts = pts[n:]
	}
}

func mustNotExist(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("%s exists (err %v)", path, err)
	}
}

// TestSpoolLockedByOneProcess: a second sink on the same data directory is
// refused while the first holds it, and accepted once it is closed.
func TestSpoolLockedByOneProcess(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig("http://127.0.0.1:1", "db/rp")
	first, err := influx.New(cfg, influx.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := influx.New(cfg, influx.Options{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "in use by another entpipe process") {
		t.Fatalf("second sink on %s: err = %v, want in use", dir, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = first.Close(ctx) // nothing written: nothing to deliver
	again, err := influx.New(cfg, influx.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	_ = again.Close(ctx)
}
