package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

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
	dir := b.TempDir()
	log := filepath.Join(dir, "access.log")
	appendText(b, log, "")
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
