package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// liveLine is an ent-format line stamped at: a page view of user (profile
// raw) unless path or status say otherwise, taking dur seconds.
func liveLine(at time.Time, user, path string, status int, dur float64, raw string) string {
	return fmt.Sprintf(`198.51.100.%d - %s [%s] "GET %s HTTP/1.1" %d 2048 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0" %.3f "%s"`+"\n",
		len(user)%250+1, user, at.Format("02/Jan/2006:15:04:05 -0700"), path, status, dur, raw)
}

// appendText appends text to path, creating it.
func appendText(t testing.TB, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// emptyLog creates an empty log, logs/access.log, in a temporary directory,
// and returns the directory and the log's path.
func emptyLog(t testing.TB) (dir, log string) {
	t.Helper()
	dir = t.TempDir()
	log = filepath.Join(dir, "logs", "access.log")
	if err := os.MkdirAll(filepath.Dir(log), 0o755); err != nil {
		t.Fatal(err)
	}
	appendText(t, log, "")
	return dir, log
}

// liveConfig writes a configuration for `entpipe run` of live logs: the
// default publish, poll and InfluxDB flush intervals, sources as given
// (YAML under `sources:`), and returns its path.
func liveConfig(t testing.TB, dataDir, influxURL, bucket, extra, sources string) string {
	t.Helper()
	text := fmt.Sprintf("data_dir: %q\ntimezone: Europe/Paris\ninflux:\n  url: %s\n  bucket: %s\n  retry_interval: 200ms\n  max_retry_interval: 1s\n%s\nsources:\n%s",
		dataDir, influxURL, bucket, extra, sources)
	path := filepath.Join(t.TempDir(), "entpipe.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// influxValue returns the single value of q (0 when it returns no row).
func influxValue(s *influxtest.Server, q string) (float64, error) {
	series, err := s.Query(q)
	if err != nil {
		return 0, err
	}
	if len(series) == 0 || len(series[0].Values) == 0 {
		return 0, nil
	}
	row := series[0].Values[0]
	switch v := row[len(row)-1].(type) {
	case float64:
		return v, nil
	case nil:
		return 0, nil
	default:
		var f float64
		_, err := fmt.Sscan(fmt.Sprint(v), &f)
		return f, err
	}
}

// waitInflux polls q until it returns want and returns how long it took.
func waitInflux(t testing.TB, p *runProc, s *influxtest.Server, q string, want float64, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var got float64
	var err error
	if perr := p.poll(timeout, func() bool {
		got, err = influxValue(s, q)
		return err == nil && got == want
	}); perr != nil {
		t.Fatalf("waiting for %s = %v in InfluxDB: %v (last %v, %v)", q, want, perr, got, err)
	}
	return time.Since(start)
}

// arrivals records when a growing count first reaches each value: the
// count polled every few milliseconds in a goroutine until stop.
type arrivals struct {
	mu   sync.Mutex
	seen []time.Time // seen[k]: when the count first reached k+1
	done chan struct{}
}

func trackArrivals(ctx context.Context, every time.Duration, count func() (float64, error)) *arrivals {
	a := &arrivals{done: make(chan struct{})}
	go func() {
		defer close(a.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			if n, err := count(); err == nil {
				now := time.Now()
				a.mu.Lock()
				for len(a.seen) < int(n) {
					a.seen = append(a.seen, now)
				}
				a.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return a
}

// delays returns, for each written time, how long the count took to reach
// it (only the ones reached).
func (a *arrivals) delays(written []time.Time) []time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []time.Duration
	for k, w := range written {
		if k < len(a.seen) {
			out = append(out, a.seen[k].Sub(w))
		}
	}
	return out
}

// percentile returns the p-th percentile (0–100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p/100))]
}

// TestIntegrationRunLiveAfterSilence is issue 19's first acceptance, on the
// real binary and a real influxd: 15 page views written one a second to a
// tailed log, then silence. Every page view reaches /metrics and
// InfluxDB without any later line, and so do their visits and unique
// visitors once the clock has closed their minutes. Delays are logged;
// the deadlines are generous (the machine is shared): the measured figures
// are BenchmarkLiveLatency's.
func TestIntegrationRunLiveAfterSilence(t *testing.T) {
	skipShort(t, "end-to-end: builds and runs the binary")
	s := influxtest.Start(t)
	dir, log := emptyLog(t)
	p := startRun(t, liveConfig(t, filepath.Join(dir, "data"), s.URL, s.Bucket, "", fmt.Sprintf(
		"  - name: ent92\n    entlog: {department: \"92\", ent: ent92, format: ent, paths: [%q]}\n", log)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	metrics := trackArrivals(ctx, 20*time.Millisecond, func() (float64, error) { return p.metric("ent_page_views_total", nil) })
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	influx := trackArrivals(ctx, 100*time.Millisecond, func() (float64, error) {
		return influxValue(s, "SELECT sum(page_views) FROM ent_traffic WHERE time > '"+since+"'")
	})
	var written []time.Time
	tick := time.NewTicker(time.Second)
	for i := range 15 {
		at := time.Now()
		appendText(t, log, liveLine(at, fmt.Sprintf("eleve%d", i%3), "/conversation/inbox", 200, 0.04, "ELEVE"))
		written = append(written, at)
		if i < 14 {
			<-tick.C
		}
	}
	tick.Stop()
	last := written[len(written)-1]
	p.waitFor("the 15 page views in /metrics", time.Minute, func() bool { return len(metrics.delays(written)) == 15 })
	p.waitFor("the 15 page views in InfluxDB", 2*time.Minute, func() bool { return len(influx.delays(written)) == 15 })
	cancel()
	m, in := metrics.delays(written), influx.delays(written)
	t.Logf("line → /metrics: max %v (each: %v)", slices.Max(m).Round(10*time.Millisecond), m)
	t.Logf("line → InfluxDB: max %v; all 15 in InfluxDB %v after the last write", slices.Max(in).Round(10*time.Millisecond),
		(last.Add(in[14])).Sub(last).Round(10*time.Millisecond))
	// Visits and visitors wait for the watermark, which the clock moves
	// through the silence.
	took := waitInflux(t, p, s, "SELECT sum(visits) FROM ent_traffic WHERE time > '"+since+"'", 3, 3*time.Minute)
	waitInflux(t, p, s, "SELECT sum(unique_visitors) FROM ent_visitors WHERE period = 'day' AND time > '"+
		time.Now().Add(-48*time.Hour).UTC().Format(time.RFC3339)+"'", 3, time.Minute)
	p.waitMetric("ent_visits_total", nil, time.Minute, func(v float64) bool { return v == 3 })
	t.Logf("visits of the 3 visitors in InfluxDB %v after the page views, with no later line", took.Round(100*time.Millisecond))
}

// TestIntegrationRunRejectsFutureLines is issue 19's second acceptance:
// 10 good lines, 2 lines one year ahead, 20 good lines. The 30 good page
// views reach /metrics and InfluxDB, the 2 others are future, the results
// add up to 32, and nothing lands a year ahead; the same after kill -9 (no
// checkpoint yet: every line is read again) and after a graceful restart
// from a checkpoint, after which new lines still count.
func TestIntegrationRunRejectsFutureLines(t *testing.T) {
	skipShort(t, "end-to-end: builds and runs the binary")
	s := influxtest.Start(t)
	dir, log := emptyLog(t)
	now := time.Now()
	var b strings.Builder
	for i := range 32 {
		at := now.Add(time.Duration(i-40) * time.Second)
		if i == 10 || i == 11 {
			at = at.AddDate(1, 0, 0)
		}
		b.WriteString(liveLine(at, fmt.Sprintf("u%d", i%7), "/timeline/timeline", 200, 0.03, "PARENT"))
	}
	appendText(t, log, b.String())
	config := liveConfig(t, filepath.Join(dir, "data"), s.URL, s.Bucket, "", fmt.Sprintf(
		"  - name: ent92\n    entlog: {department: \"92\", ent: ent92, format: ent, paths: [%q], checkpoint_interval: 1h}\n", log))
	since, until := now.Add(-time.Hour).UTC().Format(time.RFC3339), now.Add(time.Hour).UTC().Format(time.RFC3339)
	pageViews := "SELECT sum(page_views) FROM ent_traffic WHERE time > '" + since + "' AND time < '" + until + "'"
	// check waits for the lines of this process by result, then for its
	// page views in /metrics (when metricWant is not negative: after a
	// graceful restart, minutes restored from the checkpoint count again
	// when they close) and for InfluxDB's total.
	check := func(p *runProc, what string, parsed, future, metricWant, pageViewsWant float64) {
		t.Helper()
		total := p.waitMetric("entpipe_lines_total", nil, time.Minute, func(v float64) bool { return v >= parsed+future })
		gotParsed, _ := p.metric("entpipe_lines_total", map[string]string{"result": "parsed"})
		gotFuture, _ := p.metric("entpipe_lines_total", map[string]string{"result": "future"})
		if total != parsed+future || gotParsed != parsed || gotFuture != future {
			t.Errorf("%s: %v lines, %v parsed, %v future; want %v, %v, %v", what, total, gotParsed, gotFuture, parsed+future, parsed, future)
		}
		if metricWant >= 0 {
			p.waitMetric("ent_page_views_total", nil, time.Minute, func(v float64) bool { return v == metricWant })
		}
		waitInflux(t, p, s, pageViews, pageViewsWant, time.Minute)
		if ahead, err := influxValue(s, "SELECT count(page_views) FROM ent_traffic WHERE time > '"+until+"'"); err != nil || ahead != 0 {
			t.Errorf("%s: %v points ahead of now in InfluxDB (%v)", what, ahead, err)
		}
	}
	p := startRun(t, config)
	check(p, "first run", 30, 2, 30, 30)
	p.kill()
	p = startRun(t, config)
	check(p, "after kill -9", 30, 2, 30, 30)
	p.stop(time.Minute)
	p = startRun(t, config)
	appendText(t, log, liveLine(time.Now(), "u1", "/timeline/timeline", 200, 0.03, "PARENT")+
		liveLine(time.Now().AddDate(1, 0, 0), "u2", "/timeline/timeline", 200, 0.03, "PARENT")+
		liveLine(time.Now(), "u3", "/timeline/timeline", 200, 0.03, "PARENT"))
	check(p, "after a graceful restart, 3 new lines", 2, 1, -1, 32)
}

// refuser is a peer that is down, owned by the test for its whole life:
// it accepts connections and closes them at once. InfluxDB behind it
// refuses every write; a probe or a fetch of it fails.
func refuser(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// BenchmarkLiveLatency is issue 19's point 7: how long a page view
// appended to a log that `entpipe run` tails (default poll, publish and
// InfluxDB flush intervals) takes to show in /metrics
// (ent_page_views_total) and in a real influxd (sum of ent_traffic
// page_views), at one line every 2 s and at 2,000 lines/s. /metrics is
// polled every 50 ms and InfluxDB every 200 ms, which the figures include.
// It reports the 50th and 99th percentiles, in seconds; one op is one
// whole run:
//
//	go test -run '^$' -bench BenchmarkLiveLatency -benchtime 1x ./cmd/entpipe/
func BenchmarkLiveLatency(b *testing.B) {
	s := influxtest.Start(b)
	for _, c := range []struct {
		name    string
		every   time.Duration // between two writes
		perTick int           // lines per write
		lines   int
	}{
		{"1-every-2s", 2 * time.Second, 1, 30},
		{"2000-per-s", 10 * time.Millisecond, 20, 60_000},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				m, in := liveLatency(b, s, c.every, c.perTick, c.lines)
				b.ReportMetric(percentile(m, 50).Seconds(), "p50-metrics-s")
				b.ReportMetric(percentile(m, 99).Seconds(), "p99-metrics-s")
				b.ReportMetric(percentile(in, 50).Seconds(), "p50-influx-s")
				b.ReportMetric(percentile(in, 99).Seconds(), "p99-influx-s")
			}
		})
	}
}

// liveLatency runs `entpipe run` on a fresh log, appends lines page views
// perTick at a time every interval, and returns each one's delay to
// /metrics and to InfluxDB.
func liveLatency(b *testing.B, s *influxtest.Server, every time.Duration, perTick, lines int) (metrics, influx []time.Duration) {
	dir, log := emptyLog(b)
	ent := fmt.Sprintf("bench%d", time.Now().UnixNano()%1e9)
	p := startRun(b, liveConfig(b, filepath.Join(dir, "data"), s.URL, s.Bucket, "", fmt.Sprintf(
		"  - name: %s\n    entlog: {department: \"92\", ent: %s, format: ent, paths: [%q]}\n", ent, ent, log)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	inMetrics := trackArrivals(ctx, 50*time.Millisecond, func() (float64, error) { return p.metric("ent_page_views_total", nil) })
	inInflux := trackArrivals(ctx, 200*time.Millisecond, func() (float64, error) {
		return influxValue(s, fmt.Sprintf("SELECT sum(page_views) FROM ent_traffic WHERE ent = '%s' AND time > '%s'", ent, since))
	})
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	written := make([]time.Time, 0, lines)
	tick := time.NewTicker(every)
	defer tick.Stop()
	var batch strings.Builder
	for len(written) < lines {
		batch.Reset()
		at := time.Now()
		for range min(perTick, lines-len(written)) {
			batch.WriteString(liveLine(at, fmt.Sprintf("v%d", len(written)%5000), "/conversation/inbox", 200, 0.04, "ELEVE"))
			written = append(written, at)
		}
		if _, err := f.WriteString(batch.String()); err != nil {
			b.Fatal(err)
		}
		<-tick.C
	}
	p.waitFor("every line in /metrics and InfluxDB", 3*time.Minute, func() bool {
		return len(inMetrics.delays(written)) == lines && len(inInflux.delays(written)) == lines
	})
	return inMetrics.delays(written), inInflux.delays(written)
}
