package entlog

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// discard is a Sink that drops points (the benchmark measures entlog, not
// a sink) but touches them as a sink would.
type discard struct{ points int }

func (d *discard) Write(_ context.Context, pts []collector.Point) error {
	d.points += len(pts)
	return nil
}
func (d *discard) Flush(context.Context) error { return nil }

// BenchmarkPipeline imports realistic ent-format lines (a peak: 200,000
// lines in 10 minutes from 20,000 visitors) end to end: line splitting,
// parsing, classification, hashing, visits, visitor sets, buckets and
// points. It reports lines/s and allocs/line.
func BenchmarkPipeline(b *testing.B) {
	const n = 200_000
	data := []byte(joinLines(genLog(42, n, 20_000, time.Date(2020, 3, 30, 8, 0, 0, 0, parisZone(b)), 10*time.Minute)))
	s := newTestSource(b, genConfig("unused"), Options{})
	sink := &discard{}
	b.SetBytes(int64(len(data)))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime(b) // bench_parse_test.go
	b.ResetTimer()
	for b.Loop() {
		sum, err := s.Import(context.Background(), sink, []string{"-"}, bytes.NewReader(data), nil)
		if err != nil || sum.Results[collector.ResultParsed] != n {
			b.Fatalf("%v: %v", err, sum.Results)
		}
	}
	b.StopTimer()
	cpu := cpuTime(b) - cpu0
	runtime.ReadMemStats(&after)
	lines := float64(n) * float64(b.N)
	b.ReportMetric(lines/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/lines, "cpu-ns/line")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/lines, "allocs/line")
}

const genChunk = 20_000

// genReader produces chunks of generated lines on demand, so a 10 M-line
// import needs no file and no memory proportional to its size.
type genReader struct {
	chunk, chunks int
	start         time.Time
	span          time.Duration
	buf           []byte
}

func (g *genReader) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		if g.chunk == g.chunks {
			return 0, io.EOF
		}
		g.buf = []byte(joinLines(genLog(uint64(g.chunk), genChunk, 60_000, g.start.Add(time.Duration(g.chunk)*g.span), g.span)))
		g.chunk++
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

// BenchmarkImportMemory imports ENTLOG_MEMORY_LINES generated lines per
// iteration (default 1 M; 10 M is three days at ENT 92's scale with 60,000
// visitors) and reports the peak resident memory of the process, which
// must grow with concurrent visitors, not with the number of lines
// (target: under 300 MB for 10 M lines). Run it alone, without -race:
//
//	ENTLOG_MEMORY_LINES=10000000 go test -run '^$' -bench ImportMemory -benchtime 1x ./collector/entlog/
func BenchmarkImportMemory(b *testing.B) {
	lines, _ := strconv.Atoi(os.Getenv("ENTLOG_MEMORY_LINES"))
	if lines == 0 {
		lines = 1_000_000
	}
	chunks := max(lines/genChunk, 1)
	s := newTestSource(b, genConfig("unused"), Options{})
	var sum Summary
	for b.Loop() {
		g := &genReader{chunks: chunks, start: time.Date(2020, 3, 30, 0, 0, 0, 0, parisZone(b)), span: 72 * time.Hour / time.Duration(chunks)}
		var err error
		if sum, err = s.Import(context.Background(), &discard{}, []string{"-"}, g, nil); err != nil {
			b.Fatal(err)
		}
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			peakKB, _ := strconv.Atoi(f[1])
			b.ReportMetric(float64(peakKB)/1024, "peak-RSS-MB")
		}
	}
	b.ReportMetric(float64(sum.Lines), "lines")
	b.ReportMetric(float64(sum.Visitors), "visitors")
}
