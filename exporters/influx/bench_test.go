package influx_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/exporters/influx"
	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// BenchmarkWrite measures points/s from Write to acknowledged by a real
// influxd (Flush at the end), by batch size, gzip and writes in flight
// (concurrency). One op is one point,
// an ent_requests bucket total (5 tags, 4 fields, ~150 bytes of line
// protocol); every point is a distinct series-time, as in an import.
//
//	go test -run '^$' -bench BenchmarkWrite -benchtime 300000x -benchmem ./exporters/influx/
func BenchmarkWrite(b *testing.B) {
	s := influxtest.Start(b)
	for _, size := range []int{1000, 5000, 10000} {
		for _, gzip := range []bool{false, true} {
			for _, inFlight := range []int{1, influx.DefaultConcurrency} {
				b.Run(fmt.Sprintf("batch=%d/gzip=%v/concurrency=%d", size, gzip, inFlight), func(b *testing.B) {
					benchWrite(b, s, size, gzip, inFlight)
				})
			}
		}
	}
}

// benchWrite writes b.N points, series of their own (the ent tag names
// the configuration), through a sink so configured, straight to influxd
// (DirectURL): the figures must not include the test proxy's copies.
func benchWrite(b *testing.B, s *influxtest.Server, size int, gzip bool, inFlight int) {
	classes := []string{collector.ClassPage, collector.ClassStatic, collector.ClassAPI, collector.ClassDownload, collector.ClassBot, collector.ClassHealth}
	statuses := []string{"2xx", "3xx", "4xx", "5xx"}
	start := time.Date(2020, 3, 16, 0, 0, 0, 0, time.UTC)
	ent := fmt.Sprintf("ent%d-%v-%d", size, gzip, inFlight)
	cfg := testConfig(s.DirectURL(), s.Bucket)
	cfg.BatchSize, cfg.GZip, cfg.FlushInterval, cfg.Concurrency = size, gzip, time.Second, inFlight
	sink, err := influx.New(cfg, influx.Options{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	chunk := make([]collector.Point, 0, 1000)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		chunk = append(chunk, collector.Point{
			Measurement: collector.MeasRequests,
			Tags: map[string]string{collector.TagDepartment: "92", collector.TagENT: ent,
				collector.TagClass: classes[i%len(classes)], collector.TagStatusClass: statuses[i/len(classes)%len(statuses)]},
			Fields: map[string]any{collector.FieldRequests: int64(i), collector.FieldBytes: int64(i * 1000),
				collector.FieldDurationSum: float64(i) / 10, collector.FieldDurationMax: 0.5},
			Time: start.Add(time.Duration(i/24) * time.Minute),
		})
		if len(chunk) == cap(chunk) || i == b.N-1 {
			if err := sink.Write(ctx, chunk); err != nil {
				b.Fatal(err)
			}
			chunk = chunk[:0]
		}
	}
	if err := sink.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
	if err := sink.Close(ctx); err != nil {
		b.Fatal(err)
	}
}
