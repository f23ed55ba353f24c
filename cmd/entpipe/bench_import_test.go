package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/entpipe/entpipe/cmd/entpipe/internal/simulate"
	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// BenchmarkImport measures `entpipe import` end to end (issue 3's target:
// 1,000,000 lines/s on two cores): simulated ENT 92 logs read from disk,
// parsed, aggregated and written to a real influxd until every point is
// acknowledged. One op is one whole import; it reports lines/s and
// points/s (points: the distinct bucket totals the import writes, counted
// once beforehand into a Recorder by recordImport). Two shapes:
//
//   - lockdown-day: Monday 30 March 2020, line-bound (many lines per
//     minute bucket). ENTPIPE_BENCH_SCALE sets its scale (default 0.25,
//     about 720,000 lines; 1 gives the full 2.9 M lines, 740 MB).
//
//   - march-1pct: March 2020 at scale 0.01 (560,000 lines in 31 days of
//     .gz files), point-bound like `make demo`'s import: few lines per
//     minute bucket, so most of the work is points.
//
//     ENTPIPE_BENCH_SCALE=1 go test -run '^$' -bench BenchmarkImport -benchtime 3x ./cmd/entpipe/
func BenchmarkImport(b *testing.B) {
	scale := 0.25
	if v := os.Getenv("ENTPIPE_BENCH_SCALE"); v != "" {
		var err error
		if scale, err = strconv.ParseFloat(v, 64); err != nil || scale <= 0 {
			b.Fatalf("ENTPIPE_BENCH_SCALE=%q: want a positive number", v)
		}
	}
	s := influxtest.Start(b)
	for _, c := range []struct {
		name     string
		from, to time.Time
		scale    float64
	}{
		{"lockdown-day", civilDay(2020, 3, 30), civilDay(2020, 3, 30), scale},
		{"march-1pct", civilDay(2020, 3, 1), civilDay(2020, 3, 31), 0.01},
	} {
		b.Run(c.name, func(b *testing.B) {
			config, logs := simulatedImport(b, s, c.from, c.to, c.scale)
			benchImport(b, config, logs)
		})
	}
}

// simulatedImport generates ENT 92's logs and a configuration pointing at
// s; it returns the configuration file and the logs in order.
func simulatedImport(b *testing.B, s *influxtest.Server, from, to time.Time, scale float64) (string, []string) {
	b.Helper()
	dir := simulated(b, s, simulate.Options{From: from, To: to, Scale: scale, Seed: 1, ENTs: []string{"ent92"}})
	logs, err := filepath.Glob(filepath.Join(dir, "logs", "ent92", "access.log-*"))
	if err != nil || len(logs) == 0 {
		b.Fatalf("simulated logs: %v %v", logs, err)
	}
	return filepath.Join(dir, "entpipe.yaml"), logs // the names sort by day
}

// simulated runs the simulator with o into a temporary directory, its
// configuration pointing at s, and returns the directory.
func simulated(tb testing.TB, s *influxtest.Server, o simulate.Options) string {
	tb.Helper()
	o.Out, o.InfluxURL = tb.TempDir(), s.URL
	if _, err := simulate.Run(tb.Context(), o); err != nil {
		tb.Fatal(err)
	}
	config := filepath.Join(o.Out, "entpipe.yaml")
	raw, err := os.ReadFile(config) // influxtest's database is not the generated ent/autogen
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(config, []byte(strings.Replace(string(raw), "bucket: ent/autogen", "bucket: "+s.Bucket, 1)), 0o600); err != nil {
		tb.Fatal(err)
	}
	return o.Out
}

func benchImport(b *testing.B, config string, logs []string) {
	_, recorded := recordImport(b, config, "ent92", logs)
	points := len(recorded)
	if points == 0 {
		b.Fatal("the import wrote no point")
	}
	linesRe := regexp.MustCompile(`lines read:\s+(\d+)`)
	var lines int64
	cpu0 := processCPU(b)
	b.ResetTimer()
	for b.Loop() {
		var out, errOut bytes.Buffer
		code := run(b.Context(), append([]string{"import", "-config", config, "-source", "ent92", "-progress", "never", "-log.level", "error"}, logs...),
			&stdio{in: strings.NewReader(""), out: &out, err: &errOut})
		m := linesRe.FindStringSubmatch(out.String())
		if code != exitOK || m == nil {
			b.Fatalf("import: exit %d\n%s%s", code, &out, &errOut)
		}
		lines, _ = strconv.ParseInt(m[1], 10, 64)
	}
	b.StopTimer()
	cpu := processCPU(b) - cpu0
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(lines*int64(b.N)), "cpu-ns/line")
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(lines)/perOp, "lines/s")
	b.ReportMetric(float64(points)/perOp, "points/s")
	b.ReportMetric(float64(lines), "lines/op")
	b.ReportMetric(float64(points), "points/op")
}

// processCPU is the CPU time this process (the import, not influxd) has
// used: a figure a loaded machine disturbs less than wall time.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
