package prom

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/entpipe/entpipe/collector"
)

func benchExporter(b *testing.B) (*Exporter, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	e, err := NewExporter(reg, Options{Log: slog.New(slog.DiscardHandler), Vocabulary: map[string][]string{
		"profile": collector.Profiles(), "service": {"cahier-de-textes", "messagerie", "notes"}}})
	if err != nil {
		b.Fatal(err)
	}
	return e, reg
}

// BenchmarkExporterWrite measures Write on a realistic mix of points (every
// measurement, three ENTs, each minute bucket rewritten once, some values
// folded), steady state: buckets advance and old ones are evicted.
func BenchmarkExporterWrite(b *testing.B) {
	e, _ := benchExporter(b)
	batches := make([][]collector.Point, 180)
	for i := range batches {
		batches[i] = realisticPoints(t0.Add(time.Duration(i)*time.Minute), 1)
	}
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		batch := batches[i%len(batches)]
		if err := e.Write(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
		n += len(batch)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkExporterGather measures one scrape's collection after an hour of
// minute buckets (the state /metrics serves).
func BenchmarkExporterGather(b *testing.B) {
	e, reg := benchExporter(b)
	for m := range 60 {
		if err := e.Write(context.Background(), realisticPoints(t0.Add(time.Duration(m)*time.Minute), 1)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
