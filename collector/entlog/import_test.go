package entlog

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
)

// twoFiles generates 5000 lines of an hour and writes the first 2000 to
// a.log and the next 2000 to b.log.gz in a temporary directory.
func twoFiles(t *testing.T, seed uint64) (lines []genLine, dir, first, gz string) {
	t.Helper()
	lines = genLog(seed, 5000, 200, time.Date(2020, 3, 30, 8, 0, 0, 0, parisZone(t)), time.Hour)
	dir = t.TempDir()
	first = writeFile(t, filepath.Join(dir, "a.log"), joinLines(lines[:2000]))
	gz = filepath.Join(dir, "b.log.gz")
	writeGzip(t, gz, writeFile(t, filepath.Join(dir, "b.log"), joinLines(lines[2000:4000])))
	return lines, dir, first, gz
}

// TestImportStdinGzipAndProgress: "-" reads the stdin reader, gzip is
// recognised by content, files are read in order, and progress ends with
// every line of every file.
func TestImportStdinGzipAndProgress(t *testing.T) {
	lines, dir, first, gz := twoFiles(t, 31)
	stdin := strings.NewReader(joinLines(lines[4000:]))
	cfg := genConfig("unused")
	var last Progress
	calls := 0
	var rec collectortest.Recorder
	sum, err := newTestSource(t, cfg, Options{}).Import(context.Background(), &rec, []string{first, gz, "-"}, stdin,
		func(p Progress) { last, calls = p, calls+1 })
	if err != nil {
		t.Fatal(err)
	}
	if calls < 3 || last.Lines != 5000 || last.Index != 2 || last.Files != 3 || last.File != "-" {
		t.Errorf("%d progress calls, last %+v; want at least one per file, ending at 5000 lines of file 2/3", calls, last)
	}
	if sum.Lines != 5000 || sum.Results[collector.ResultParsed] != 5000 {
		t.Errorf("summary %+v, want 5000 lines parsed", sum)
	}
	want, _ := importLP(t, newTestSource(t, cfg, Options{}), writeFile(t, filepath.Join(dir, "all.log"), joinLines(lines)))
	if got := collectortest.LineProtocol(rec.Points()); got != want {
		t.Errorf("three inputs differ from one file:\n%s", diffLP(want, got))
	}
	if n := int64(len(rec.Points())); sum.Points != n || last.Points > n {
		t.Errorf("summary counts %d points, last progress %d; the sink got %d", sum.Points, last.Points, n)
	}
	for _, s := range []string{"lines read:      5000", "parsed:", "visits:", "lines/s", "points/s"} {
		if !strings.Contains(sum.String(), s) {
			t.Errorf("summary lacks %q:\n%s", s, sum)
		}
	}
}

// TestImportCountsTooLateOnce: files given newest first make the older
// one too_late; its lines were parsed first, and are read once.
func TestImportCountsTooLateOnce(t *testing.T) {
	dir := t.TempDir()
	older := genLog(5, 300, 50, time.Date(2020, 3, 30, 8, 0, 0, 0, parisZone(t)), time.Hour)
	newer := genLog(6, 300, 50, time.Date(2020, 3, 31, 8, 0, 0, 0, parisZone(t)), time.Hour)
	paths := []string{writeFile(t, filepath.Join(dir, "newer.log"), joinLines(newer)), writeFile(t, filepath.Join(dir, "older.log"), joinLines(older))}
	sum, err := newTestSource(t, genConfig("unused"), Options{}).Import(context.Background(), &collectortest.Recorder{}, paths, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Lines != 600 || sum.Results[collector.ResultTooLate] != 300 {
		t.Errorf("lines read %d, results %v; want 600 lines, the 300 older ones too_late", sum.Lines, sum.Results)
	}
}

// TestImportPartialFailures: a .gz cut short, a missing file and an
// unreadable one (a directory) among good files are each reported with
// their name and reason; everything else is imported as one stream, the
// good lines of the cut file included, and the summary counts them.
func TestImportPartialFailures(t *testing.T) {
	lines, dir, first, gz := twoFiles(t, 14)
	data, err := os.ReadFile(gz)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, gz, string(data[:len(data)*6/10])) // cut short
	missing := filepath.Join(dir, "c.log")
	unreadable := filepath.Join(dir, "d.log")
	if err := os.Mkdir(unreadable, 0o755); err != nil {
		t.Fatal(err)
	}
	last := writeFile(t, filepath.Join(dir, "e.log"), joinLines(lines[4000:]))
	cfg := genConfig("unused")
	var rec collectortest.Recorder
	sum, err := newTestSource(t, cfg, Options{}).Import(context.Background(), &rec, []string{first, gz, missing, unreadable, last}, nil, nil)
	var failed collector.FileErrors
	if !errors.As(err, &failed) || len(failed) != 3 {
		t.Fatalf("err = %v, want the three bad files", err)
	}
	for i, want := range []struct{ path, reason string }{
		{gz, "read: unexpected EOF (after "}, {missing, "open: no such file or directory"}, {unreadable, "is a directory"},
	} {
		if failed[i].Path != want.path || !strings.Contains(failed[i].Error(), want.path+": ") || !strings.Contains(failed[i].Error(), want.reason) {
			t.Errorf("failure %d: %q, want %s with %q", i, failed[i].Error(), want.path, want.reason)
		}
	}
	cut := int(failed[0].Lines)
	if cut < 100 || cut >= 2000 {
		t.Fatalf("%d lines read from the cut file, want most of the part before the cut", cut)
	}
	good := append(append(append([]genLine{}, lines[:2000]...), lines[2000:2000+cut]...), lines[4000:]...)
	if sum.Lines != int64(len(good)) || sum.Results[collector.ResultParsed] != int64(len(good)) {
		t.Errorf("summary counts %d lines (%d parsed), want %d", sum.Lines, sum.Results[collector.ResultParsed], len(good))
	}
	want, _ := importLP(t, newTestSource(t, cfg, Options{}), writeFile(t, filepath.Join(dir, "good.log"), joinLines(good)))
	if got := collectortest.LineProtocol(rec.Points()); got != want {
		t.Errorf("the readable lines differ from one file of them:\n%s", diffLP(want, got))
	}
}

func TestConfigRunSettings(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Config)
		want string // substring of the problems, "" for none
	}{
		{"defaults", func(*Config) {}, ""},
		{"negative window", func(c *Config) { c.ReorderWindow = -time.Second }, "reorder_window: -1s must be between 0s and 5m"},
		{"short horizon", func(c *Config) { c.Horizon = 30 * time.Second }, "horizon: 30s must be between 1m and 24h"},
		{"horizon below window", func(c *Config) { c.ReorderWindow, c.Horizon = 5*time.Minute, 2*time.Minute }, "must not be shorter than reorder_window"},
		{"tiny checkpoint", func(c *Config) { c.CheckpointInterval = time.Millisecond }, "checkpoint_interval: 1ms must be at least 100ms"},
		{"slow poll", func(c *Config) { c.PollInterval = time.Hour }, "poll_interval: 1h0m0s must be between 10ms and 1m"},
		{"start_at", func(c *Config) { c.StartAt = "middle" }, `start_at: "middle" is not one of`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := genConfig("access.log")
			c.edit(&cfg)
			p := collector.NewProblems()
			cfg.Validate(p)
			err := p.Err()
			switch {
			case c.want == "" && err != nil:
				t.Errorf("unexpected problems: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("problems %v, want %q", err, c.want)
			}
		})
	}
}

// TestImportWritesEachPointOnce: an import of lines in time order writes
// every bucket and visitor set once, when it can no longer change. The
// InfluxDB sink writes a batch that rewrites a point of an earlier one only
// after it, so a point written again and again (a month's visitor set at
// every collect) would make every write wait for the previous one.
func TestImportWritesEachPointOnce(t *testing.T) {
	// Enough lines for several collects (one per 8 batches of 2048 lines).
	lines := genLog(11, 120000, 800, time.Date(2020, 3, 30, 6, 0, 0, 0, parisZone(t)), 40*time.Hour)
	path := writeFile(t, filepath.Join(t.TempDir(), "access.log"), joinLines(lines))
	var rec collectortest.Recorder
	if _, err := newTestSource(t, genConfig(path), Options{}).Import(context.Background(), &rec, []string{path}, nil, nil); err != nil {
		t.Fatal(err)
	}
	written, measurements := map[string]int{}, map[string]bool{}
	for _, p := range rec.Points() {
		key, _ := collectortest.Line(p)
		written[key]++
		measurements[p.Measurement] = true
	}
	for key, n := range written {
		if n != 1 {
			t.Errorf("%s written %d times", key, n)
		}
	}
	if len(measurements) < 6 || len(written) < 1000 {
		t.Errorf("%d points of %d measurements: the test checks too little", len(written), len(measurements))
	}
}
