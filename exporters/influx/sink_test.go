package influx_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/exporters/influx"
	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// floatField says which schema fields are float64 (ratios, seconds, hours);
// every other field is an int64 count.
func floatField(name string) bool {
	for _, s := range []string{"utilization", "per_core", "per_second", "seconds", "hours"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// TestIntegrationRoundTrip writes one point of every measurement of the
// schema, with every field and tag, and reads it back through InfluxQL:
// identical, integers beyond 2^53 exact, floats to the last bit.
func TestIntegrationRoundTrip(t *testing.T) {
	s := influxtest.Start(t)
	h := newHarness(t, testConfig(s.URL, s.Bucket), t.TempDir())
	at := time.Date(2020, 3, 30, 6, 0, 0, 0, time.UTC)
	var pts []collector.Point
	for i, m := range collector.Schema() {
		p := collector.Point{Measurement: m.Name, Tags: map[string]string{}, Fields: map[string]any{}, Time: at.Add(time.Duration(i) * time.Minute)}
		for j, tag := range m.Tags {
			p.Tags[tag] = fmt.Sprintf("v%d-%d", i, j)
		}
		p.Tags[collector.TagService] = "cahier de textes, v=2" // escapes: space, comma, equals
		j := 0
		for f := range m.Fields {
			j++
			if floatField(f) {
				p.Fields[f] = 0.1 * float64(j) / 3
			} else {
				p.Fields[f] = int64(1)<<53 + int64(j) // not representable as float64
			}
		}
		pts = append(pts, p)
	}
	writeAll(t, h.sink, pts)
	h.close(t, time.Minute)
	for _, p := range pts {
		res := s.MustQuery(fmt.Sprintf(`SELECT * FROM %q`, p.Measurement))
		if len(res) != 1 || len(res[0].Values) != 1 {
			t.Fatalf("%s: got %+v", p.Measurement, res)
		}
		got := map[string]any{}
		for i, c := range res[0].Columns {
			got[c] = res[0].Values[0][i]
		}
		if got["time"] != p.Time.Format(time.RFC3339) {
			t.Errorf("%s: time %v, want %v", p.Measurement, got["time"], p.Time.Format(time.RFC3339))
		}
		for k, v := range p.Tags {
			if got[k] != v {
				t.Errorf("%s: tag %s = %v, want %q", p.Measurement, k, got[k], v)
			}
		}
		for k, v := range p.Fields {
			n, ok := got[k].(json.Number)
			if !ok {
				t.Errorf("%s: field %s = %#v, want %v", p.Measurement, k, got[k], v)
				continue
			}
			switch v := v.(type) {
			case int64:
				if x, err := n.Int64(); err != nil || x != v {
					t.Errorf("%s: field %s = %s, want integer %d", p.Measurement, k, n, v)
				}
			case float64:
				if x, err := n.Float64(); err != nil || x != v {
					t.Errorf("%s: field %s = %s, want %v", p.Measurement, k, n, v)
				}
			}
		}
		if len(got) != 1+len(p.Tags)+len(p.Fields) {
			t.Errorf("%s: columns %v, want time, %d tags and %d fields", p.Measurement, res[0].Columns, len(p.Tags), len(p.Fields))
		}
	}
	// Integer fields stayed integers in InfluxDB's own type catalogue.
	for _, r := range s.MustQuery(`SHOW FIELD KEYS`) {
		for _, v := range r.Values {
			if wantFloat := floatField(v[0].(string)); (v[1] == "float") != wantFloat {
				t.Errorf("%s.%s has type %v", r.Name, v[0], v[1])
			}
		}
	}
	if got, want := h.value(collector.MetricInfluxPoints), float64(len(pts)); got != want {
		t.Errorf("points written = %v, want %v", got, want)
	}
}

// TestIntegrationOutage makes InfluxDB unavailable for more than 30 s, in
// every way the proxy knows plus a real restart of influxd, while rounds of
// bucket totals keep being written and flushed; then it brings InfluxDB
// back, slow at first, and checks that InfluxDB ends with the totals of the
// last round (order kept, nothing lost) and that the spool drains to empty.
func TestIntegrationOutage(t *testing.T) {
	s := influxtest.Start(t)
	h := newHarness(t, testConfig(s.URL, s.Bucket), t.TempDir())
	g := traffic{minutes: 120, start: time.Date(2020, 3, 30, 6, 0, 0, 0, time.UTC)}
	ctx := context.Background()
	r := 0
	for ; r < 3; r++ {
		writeAll(t, h.sink, g.round(r))
		if err := h.sink.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The outage's phases, each as long as a source's pace allows: the
	// lengths are the scenario, not synchronisation waits. Hang outlasts
	// the write timeout (5 s), so writes time out.
	phases := []struct {
		name  string
		start func()
		d     time.Duration
	}{
		{"influxd stopped", s.Stop, 8 * time.Second},
		{"influxd restarted, connections reset", func() { s.Proxy.Reset(); s.Restart() }, 8 * time.Second},
		{"hang", s.Proxy.Hang, 8 * time.Second},
		{"refuse", s.Proxy.Refuse, 7 * time.Second},
	}
	pace := time.NewTicker(250 * time.Millisecond)
	defer pace.Stop()
	for _, ph := range phases {
		ph.start()
		for begin := time.Now(); time.Since(begin) < ph.d; r++ {
			<-pace.C
			writeAll(t, h.sink, g.round(r))
			if err := h.sink.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%s: spool %.0f bytes after round %d", ph.name, h.value(collector.MetricSpoolBytes), r-1)
	}
	if h.value(collector.MetricSpoolBytes) == 0 || len(h.spoolFiles(t)) == 0 {
		t.Fatal("influxd is unavailable but nothing was spooled")
	}
	s.Proxy.Slow(20 * time.Millisecond) // back, slow: the replay goes on
	waitFor(t, "a spooled batch replayed through the slow proxy", time.Minute, func() bool { return h.value(collector.MetricSpoolReplays) > 0 })
	s.Proxy.Normal()
	last := r
	writeAll(t, h.sink, g.round(last)) // written after the return, behind the spool
	h.close(t, 2*time.Minute)

	wv, wp, wn := g.want(last)
	if v, p, n := totals(t, s); v != wv || p != wp || n != wn {
		t.Fatalf("after outage: visits %d page_views %d points %d, want %d %d %d", v, p, n, wv, wp, wn)
	}
	if files := h.spoolFiles(t); len(files) != 0 {
		t.Errorf("spool not drained: %v", files)
	}
	if b, o := h.value(collector.MetricSpoolBytes), h.value(collector.MetricSpoolOldest); b != 0 || o != 0 {
		t.Errorf("spool gauges bytes=%v oldest=%v, want 0", b, o)
	}
	for _, reason := range []string{influx.ReasonNetwork, influx.ReasonTimeout} {
		if h.value(collector.MetricInfluxErrors, "reason", reason) == 0 {
			t.Errorf("write errors{reason=%q} = 0", reason)
		}
	}
	if h.value(collector.MetricInfluxRejected) != 0 {
		t.Errorf("rejected = %v", h.value(collector.MetricInfluxRejected))
	}
	t.Logf("%d rounds, %.0f spooled batches replayed", last+1, h.value(collector.MetricSpoolReplays))
}

// TestIntegrationSpoolSurvivesRestart flushes into the spool while InfluxDB
// refuses connections, gives up at Close (the error says the batches stay),
// then a new Sink on the same data directory replays them, ignoring the
// torn record a kill during an append would leave and dropping only the
// record a flipped bit damaged (logged and counted).
func TestIntegrationSpoolSurvivesRestart(t *testing.T) {
	s := influxtest.Start(t)
	dir := t.TempDir()
	g := traffic{minutes: 60, start: time.Date(2020, 3, 16, 7, 0, 0, 0, time.UTC)}
	s.Proxy.Refuse()
	h := newHarness(t, testConfig(s.URL, s.Bucket), dir)
	for r := range 3 {
		writeAll(t, h.sink, g.round(r))
	}
	if err := h.sink.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	err := h.sink.Close(ctx)
	cancel()
	var spooled int
	if err == nil || !strings.Contains(err.Error(), "stay in spool") {
		t.Fatalf("close with InfluxDB refused: err = %v, want the batches to stay in the spool", err)
	}
	if _, err := fmt.Sscanf(err.Error(), "influx close: %d batch(es)", &spooled); err != nil {
		t.Fatal(err)
	}
	files := h.spoolFiles(t)
	if len(files) != 1 {
		t.Fatalf("spool files %v, want one segment", files)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	// A flipped bit in the first batch (round 0: later rounds rewrite its
	// buckets, so the totals must not change), and a torn record at the
	// end, as a kill -9 in the middle of an append leaves it.
	data[40] ^= 0x04
	data = append(data, 200, 0, 0, 0, 1, 2, 3)
	if err := os.WriteFile(files[0], data, 0o600); err != nil {
		t.Fatal(err)
	}

	s.Proxy.Normal()
	h2 := newHarness(t, testConfig(s.URL, s.Bucket), dir)
	h2.close(t, time.Minute)
	wv, wp, wn := g.want(2)
	if v, p, n := totals(t, s); v != wv || p != wp || n != wn {
		t.Fatalf("after replay: visits %d page_views %d points %d, want %d %d %d", v, p, n, wv, wp, wn)
	}
	if !strings.Contains(h2.log.String(), "level=WARN msg=\"spool segment ends with a torn record") {
		t.Errorf("torn record not reported; log:\n%s", h2.log)
	}
	if !strings.Contains(h2.log.String(), "level=ERROR msg=\"spool segment damaged") || h2.value(collector.MetricSpoolCorrupt) != 1 {
		t.Errorf("damaged record: %s = %v, want 1 and an error log; log:\n%s", collector.MetricSpoolCorrupt, h2.value(collector.MetricSpoolCorrupt), h2.log)
	}
	if got, want := h2.value(collector.MetricSpoolReplays), float64(spooled-1); got != want {
		t.Errorf("replayed batches = %v, want %v (all but the damaged one)", got, want)
	}
	if files := h2.spoolFiles(t); len(files) != 0 {
		t.Errorf("spool not drained: %v", files)
	}
	mustNotExist(t, filepath.Join(dir, "spool", filepath.Base(files[0])))
}

// TestCloseKeepsSpoolBound: when Close gives up on an unreachable InfluxDB
// with the spool full, the batches still in memory are not appended beyond
// the bound; the error counts them (never durable, so no source has
// checkpointed past them).
func TestCloseKeepsSpoolBound(t *testing.T) {
	p := influxtest.NewProxy(t, "") // no server: connections refused
	cfg := testConfig(p.URL, "db/rp")
	cfg.SpoolMaxSize, cfg.BatchSize = influx.MinSpoolSize, 100
	h := newHarness(t, cfg, t.TempDir())
	g := traffic{minutes: 60, start: time.Date(2020, 3, 18, 7, 0, 0, 0, time.UTC)}
	done := make(chan error, 1)
	go func() {
		for r := 0; ; r++ {
			if err := h.sink.Write(context.Background(), g.round(r)); err != nil {
				done <- err
				return
			}
		}
	}()
	waitFor(t, "entpipe_spool_full = 1", time.Minute, func() bool { return h.value(collector.MetricSpoolFull) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	err := h.sink.Close(ctx)
	cancel()
	if err == nil || !strings.Contains(err.Error(), "neither written nor spooled") || !strings.Contains(err.Error(), "is full") {
		t.Errorf("close on a full spool: err = %v, want the points neither written nor spooled", err)
	}
	if werr := <-done; !errors.Is(werr, influx.ErrClosed) {
		t.Errorf("blocked writer: err = %v, want ErrClosed", werr)
	}
	if onDisk := influx.SpoolFileBytes(t, influx.SpoolDir(h.dir)); onDisk > influx.MinSpoolSize {
		t.Errorf("%d bytes of spool on disk after Close, bound %d", onDisk, influx.MinSpoolSize)
	}
}

// TestIntegrationRejection writes a batch where one point conflicts with an
// existing field type: that point is counted and logged, the rest lands.
func TestIntegrationRejection(t *testing.T) {
	s := influxtest.Start(t)
	h := newHarness(t, testConfig(s.URL, s.Bucket), t.TempDir())
	g := traffic{minutes: 50, start: time.Date(2020, 3, 17, 7, 0, 0, 0, time.UTC)}
	good := g.round(0)
	writeAll(t, h.sink, good[:1])
	if err := h.sink.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	bad := good[len(good)/2]
	bad.Fields = map[string]any{collector.FieldVisits: 1.5, collector.FieldPageViews: int64(0)} // visits is an integer field
	batch := append(append(append([]collector.Point{}, good[1:len(good)/2]...), bad), good[len(good)/2+1:]...)
	writeAll(t, h.sink, batch)
	h.close(t, time.Minute)

	wv, wp, wn := g.want(0)
	wv -= good[len(good)/2].Fields[collector.FieldVisits].(int64)
	wp -= good[len(good)/2].Fields[collector.FieldPageViews].(int64)
	wn--
	if v, p, n := totals(t, s); v != wv || p != wp || n != wn {
		t.Fatalf("visits %d page_views %d points %d, want %d %d %d", v, p, n, wv, wp, wn)
	}
	if got := h.value(collector.MetricInfluxRejected); got != 1 {
		t.Errorf("rejected points = %v, want 1", got)
	}
	if got := h.value(collector.MetricInfluxErrors, "reason", influx.ReasonRejected); got == 0 {
		t.Errorf("write errors{reason=rejected} = 0")
	}
	if log := h.log.String(); !strings.Contains(log, "influxdb rejected points") || !strings.Contains(log, "visits=1.5") {
		t.Errorf("the offending line is not quoted in the log:\n%s", log)
	}
}

// TestIntegrationSpoolFull fills a small spool while influxd is down:
// Write blocks with entpipe_spool_full = 1 and an error-level log, then
// resumes when influxd is back, and every point lands.
func TestIntegrationSpoolFull(t *testing.T) {
	s := influxtest.Start(t)
	cfg := testConfig(s.URL, s.Bucket)
	cfg.SpoolMaxSize = influx.MinSpoolSize
	cfg.BatchSize = 100
	h := newHarness(t, cfg, t.TempDir())
	g := traffic{minutes: 60, start: time.Date(2020, 3, 18, 7, 0, 0, 0, time.UTC)}
	s.Proxy.Refuse()
	done := make(chan error, 1)
	rounds := 8 // 8 × 420 points × ~100 bytes: several times the spool
	go func() {
		for r := range rounds {
			if err := h.sink.Write(context.Background(), g.round(r)); err != nil {
				done <- err
				return
			}
		}
		done <- h.sink.Flush(context.Background())
	}()
	waitFor(t, "entpipe_spool_full = 1", time.Minute, func() bool { return h.value(collector.MetricSpoolFull) == 1 })
	select {
	case err := <-done:
		t.Fatalf("writer finished (err %v) while the spool is full", err)
	default:
	}
	if b := h.value(collector.MetricSpoolBytes); b > float64(influx.MinSpoolSize) {
		t.Errorf("spool holds %v bytes, bound %d", b, influx.MinSpoolSize)
	}
	if !strings.Contains(h.log.String(), "level=ERROR msg=\"spool full") {
		t.Errorf("no error-level log for the full spool:\n%s", h.log)
	}
	s.Proxy.Normal()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	h.close(t, time.Minute)
	wv, wp, wn := g.want(rounds - 1)
	if v, p, n := totals(t, s); v != wv || p != wp || n != wn {
		t.Fatalf("visits %d page_views %d points %d, want %d %d %d", v, p, n, wv, wp, wn)
	}
	if h.value(collector.MetricSpoolFull) != 0 {
		t.Error("entpipe_spool_full still 1")
	}
}
