package enseigno

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/entpipe/entpipe/collector"
)

type discard struct{}

func (discard) Write(context.Context, []collector.Point) error { return nil }
func (discard) Flush(context.Context) error                    { return nil }

// BenchmarkImportYear imports a year of daily exports (8 disciplines) in
// the default layout, reporting rows per second.
func BenchmarkImportYear(b *testing.B) {
	rows := genFixture("92", day("2019-09-01"), 365)
	path := filepath.Join(b.TempDir(), "enseigno-92.csv")
	writeFile(b, path, defaultCSV(rows))
	src, err := New("bench", Config{Department: "92"}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		sum, err := src.ImportFiles(context.Background(), discard{}, []string{path})
		if err != nil || sum.RowsImported != len(rows) {
			b.Fatalf("%v: %s", err, sum)
		}
	}
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
}
