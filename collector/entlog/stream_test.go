package entlog

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
)

// fakeClock advances one second at every reading, so checkpoint intervals
// elapse deterministically without sleeping.
func fakeClock() func() time.Time {
	now := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	return func() time.Time { now = now.Add(time.Second); return now }
}

// runStream runs s.Stream; between polls it calls step, which acts on the
// files and returns false once there is nothing left to do, which stops
// the stream (graceful: last flush and checkpoint).
func runStream(t testing.TB, s *Source, sink collector.Sink, step func() bool) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.idle = func(ctx context.Context) error {
		if !step() {
			cancel()
		}
		return ctx.Err()
	}
	return s.Stream(ctx, sink)
}

func counter(s *collector.Stats, name string, labels ...string) float64 {
	return s.Counter(name, labels...).Value()
}

func appendFile(t testing.TB, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestStreamFollowsFiles drives the follower through the cases of tail -F:
// a file that grows (with a line written in two halves), rotation by rename
// and create with unread lines left in the renamed file, copytruncate, a
// new file appearing under the glob, and start_at: end; every line must be
// counted exactly once.
func TestStreamFollowsFiles(t *testing.T) {
	lines := genLog(7, 600, 50, time.Date(2020, 3, 30, 8, 0, 0, 0, parisZone(t)), time.Hour)
	chunk := func(i, j int) string { return joinLines(lines[i:j]) }
	dir := t.TempDir()
	live := filepath.Join(dir, "access.log")
	writeFile(t, live, chunk(0, 100))
	half := lines[150].text[:40]
	steps := []func(){
		func() { appendFile(t, live, chunk(100, 150)+half) }, // grows, last line incomplete
		func() { appendFile(t, live, lines[150].text[40:]+"\n"+chunk(151, 200)) },
		func() { // rotation: unread lines in the old file, then a new file
			appendFile(t, live, chunk(200, 250))
			if err := os.Rename(live, filepath.Join(dir, "access.log.1")); err != nil {
				t.Fatal(err)
			}
			writeFile(t, live, chunk(250, 300))
		},
		func() { // copytruncate, the new content longer than the old offset
			if err := os.Truncate(live, 0); err != nil {
				t.Fatal(err)
			}
			appendFile(t, live, chunk(300, 420))
		},
		func() { writeFile(t, filepath.Join(dir, "other.log"), chunk(420, 500)) }, // a new file under the glob
		func() { appendFile(t, live, chunk(500, 600)) },
	}
	cfg := genConfig(filepath.Join(dir, "*.log"))
	stats := collector.NewStats()
	s := newTestSource(t, cfg, Options{Stats: stats, Now: fakeClock(), StateDir: filepath.Join(dir, "state")})
	var rec collectortest.Recorder
	i := 0
	if err := runStream(t, s, &rec, func() bool {
		if i == len(steps) {
			return false
		}
		steps[i]()
		i++
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if got := counter(stats, collector.MetricLines, "source", "test", "result", collector.ResultParsed); got != 600 {
		t.Errorf("parsed lines = %v, want 600 (each line once)", got)
	}
	if got := counter(stats, collector.MetricFileRotations, "source", "test"); got != 1 {
		t.Errorf("rotations = %v, want 1", got)
	}
	if got := counter(stats, collector.MetricFileTruncations, "source", "test"); got != 1 {
		t.Errorf("truncations = %v, want 1", got)
	}
	if rec.Flushes() == 0 || len(rec.Points()) == 0 {
		t.Errorf("%d flushes, %d points: nothing written", rec.Flushes(), len(rec.Points()))
	}

	// A restart resumes at the checkpoint: nothing is read twice. The 10
	// lines appended are an hour old: too late, and counted only so.
	appendFile(t, live, chunk(0, 10))
	s2 := newTestSource(t, cfg, Options{Stats: stats, Now: fakeClock(), StateDir: filepath.Join(dir, "state")})
	if err := runStream(t, s2, &rec, func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	parsed := counter(stats, collector.MetricLines, "source", "test", "result", collector.ResultParsed)
	late := counter(stats, collector.MetricLines, "source", "test", "result", collector.ResultTooLate)
	if parsed != 600 || late != 10 {
		t.Errorf("after restart, %v lines parsed and %v too late, want 600 and 10 (each line once, in one result)", parsed, late)
	}
}

// TestStreamSkipsCompressedRotations: a glob like access.log* also matches
// the compressed rotations, which run must not read (import does).
func TestStreamSkipsCompressedRotations(t *testing.T) {
	lines := genLog(3, 150, 20, time.Date(2020, 3, 30, 8, 0, 0, 0, parisZone(t)), time.Hour)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "access.log"), joinLines(lines[:100]))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write([]byte(joinLines(lines[100:]))); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "access.log.2.gz"), gz.String())
	stats := collector.NewStats()
	s := newTestSource(t, genConfig(filepath.Join(dir, "access.log*")), Options{Stats: stats, Now: fakeClock()})
	if err := runStream(t, s, &collectortest.Recorder{}, func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	if got := counter(stats, collector.MetricLines, "source", "test", "result", collector.ResultParsed); got != 100 {
		t.Errorf("parsed lines = %v, want 100 (the .gz rotation is not followed)", got)
	}
	if got := counter(stats, collector.MetricLines, "source", "test", "result", "binary"); got != 0 {
		t.Errorf("binary lines = %v, want 0", got)
	}
}

// TestStreamRenameDuringScan: logrotate renames access.log to access.log.1
// and creates a new access.log between the glob of a scan and its stats, so
// that scan sees only the new file; the renamed one must still be finished
// from its offset, never read again from its start.
func TestStreamRenameDuringScan(t *testing.T) {
	lines := genLog(5, 180, 20, time.Date(2020, 3, 30, 8, 0, 0, 0, parisZone(t)), time.Hour)
	dir := t.TempDir()
	live := filepath.Join(dir, "access.log")
	writeFile(t, live, joinLines(lines[:100]))
	stats := collector.NewStats()
	s := newTestSource(t, genConfig(filepath.Join(dir, "access.log*")), Options{Stats: stats, Now: fakeClock()})
	renameNow := false
	s.glob = func(pattern string) ([]string, error) {
		matches, err := filepath.Glob(pattern)
		if renameNow {
			renameNow = false
			if err := os.Rename(live, live+".1"); err != nil {
				t.Fatal(err)
			}
			writeFile(t, live, joinLines(lines[150:]))
		}
		return matches, err
	}
	polls := 0
	if err := runStream(t, s, &collectortest.Recorder{}, func() bool {
		polls++
		switch polls {
		case 1: // 100 lines read; 50 more written, then the racy rotation
			appendFile(t, live, joinLines(lines[100:150]))
			renameNow = true
		case 4:
			return false
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if got := counter(stats, collector.MetricLines, "source", "test", "result", collector.ResultParsed); got != 180 {
		t.Errorf("parsed lines = %v, want 180 (each line once)", got)
	}
}

// TestStreamStartAtEnd: a file never seen before is read from its end with
// start_at: end; lines appended later are read.
func TestStreamStartAtEnd(t *testing.T) {
	lines := genLog(8, 100, 20, time.Date(2020, 3, 30, 8, 0, 0, 0, parisZone(t)), time.Hour)
	dir := t.TempDir()
	live := writeFile(t, filepath.Join(dir, "access.log"), joinLines(lines[:60]))
	cfg := genConfig(live)
	cfg.StartAt = "end"
	stats := collector.NewStats()
	s := newTestSource(t, cfg, Options{Stats: stats, Now: fakeClock()})
	done := false
	if err := runStream(t, s, &collectortest.Recorder{}, func() bool {
		if !done {
			appendFile(t, live, joinLines(lines[60:]))
		}
		done = !done
		return done
	}); err != nil {
		t.Fatal(err)
	}
	if got := counter(stats, collector.MetricLines, "source", "test", "result", collector.ResultParsed); got != 40 {
		t.Errorf("parsed lines = %v, want 40 (only the appended ones)", got)
	}
}

var errCrash = errors.New("simulated crash")

// crashSink makes points durable (in rec) only when Flush succeeds, and
// fails at random, losing what was not flushed: Stream then returns at
// once without a checkpoint, as kill -9 would leave it.
type crashSink struct {
	rec     *collectortest.Recorder
	pending []collector.Point
	rng     *rand.Rand
	p       float64
}

func (c *crashSink) Write(_ context.Context, pts []collector.Point) error {
	if c.rng.Float64() < c.p {
		return errCrash
	}
	for _, p := range pts {
		c.pending = append(c.pending, collectortest.Clone(p))
	}
	return nil
}

func (c *crashSink) Flush(ctx context.Context) error {
	if c.rng.Float64() < c.p {
		return errCrash
	}
	if err := c.rec.Write(ctx, c.pending); err != nil {
		return err
	}
	c.pending = nil
	return c.rec.Flush(ctx)
}

// TestStreamKillAndResume stops Stream at random moments (failing sink
// calls, so the last checkpoint is whatever was durable), restarts it from
// the checkpoint each time, and checks that the totals finally upserted
// equal those of an uninterrupted run over the same growing, then rotated,
// file. So do the engine's totals in the last checkpoint: State fields
// that no checkpoint code names (they were added to State after version 1)
// survive every crash exactly.
func TestStreamKillAndResume(t *testing.T) {
	lines := genLog(9, 40000, 600, time.Date(2020, 3, 30, 22, 30, 0, 0, parisZone(t)), 3*time.Hour)
	data := joinLines(lines)
	rng := rand.New(rand.NewPCG(10, 11))
	var cuts []int // random byte offsets: chunks end mid-line
	for c := 0; c < len(data); c += 1 + rng.IntN(len(data)/40) {
		cuts = append(cuts, c)
	}
	cuts = append(cuts, len(data))

	run := func(crash float64) (string, totals, int) {
		dir := t.TempDir()
		live := writeFile(t, filepath.Join(dir, "access.log"), "")
		cfg := genConfig(live + "*") // rotated files stay in the glob
		cfg.CheckpointInterval = 3 * time.Second
		var rec collectortest.Recorder
		next, restarts := 0, 0
		step := func() bool {
			if next+1 >= len(cuts) {
				return false
			}
			if next == len(cuts)/2 { // rotation by rename, then a new file (its first line may be cut)
				if err := os.Rename(live, live+".1"); err != nil {
					t.Fatal(err)
				}
			}
			appendFile(t, live, data[cuts[next]:cuts[next+1]])
			next++
			return true
		}
		for {
			s := newTestSource(t, cfg, Options{Now: fakeClock(), StateDir: filepath.Join(dir, "state")})
			sink := &crashSink{rec: &rec, rng: rand.New(rand.NewPCG(uint64(restarts), 1)), p: crash}
			err := runStream(t, s, sink, step)
			if err == nil {
				data, err := os.ReadFile(filepath.Join(dir, "state", "checkpoint.gob"))
				if err != nil {
					t.Fatal(err)
				}
				c, err := decodeCheckpoint(data)
				if err != nil {
					t.Fatal(err)
				}
				return collectortest.LineProtocol(rec.Points()), c.State.Totals, restarts
			}
			if !errors.Is(err, errCrash) {
				t.Fatal(err)
			}
			restarts++
		}
	}
	want, wantTotals, _ := run(0)
	got, gotTotals, restarts := run(0.2)
	if restarts < 3 {
		t.Fatalf("only %d restarts: the test did not exercise recovery", restarts)
	}
	if got != want {
		t.Errorf("after %d crashes the totals differ from an uninterrupted run:\n%s", restarts, diffLP(want, got))
	}
	if gotTotals.PageViews != wantTotals.PageViews || gotTotals.Visits != wantTotals.Visits || wantTotals.PageViews == 0 {
		t.Errorf("after %d crashes the engine's totals are %+v, want %+v", restarts, gotTotals, wantTotals)
	}
	t.Logf("%d crashes and restarts, %d series equal, %d page views and %d visits counted", restarts,
		strings.Count(want, "\n"), wantTotals.PageViews, wantTotals.Visits)
}

// TestCheckpointRefusesAnotherSalt: keys hashed with another salt would
// count every visitor twice, so a checkpoint written with another salt
// stops the source instead.
func TestCheckpointRefusesAnotherSalt(t *testing.T) {
	dir := t.TempDir()
	live := writeFile(t, filepath.Join(dir, "access.log"),
		joinLines(genLog(5, 50, 10, time.Date(2020, 3, 30, 8, 0, 0, 0, parisZone(t)), time.Minute)))
	cfg := genConfig(live)
	state := filepath.Join(dir, "state")
	if err := runStream(t, newTestSource(t, cfg, Options{StateDir: state, Now: fakeClock()}), &collectortest.Recorder{},
		func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	err := runStream(t, newTestSource(t, cfg, Options{StateDir: state, Now: fakeClock(), Salt: []byte("another")}),
		&collectortest.Recorder{}, func() bool { return false })
	if err == nil || !strings.Contains(err.Error(), "another salt") {
		t.Errorf("err = %v, want a refusal of the checkpoint", err)
	}
}

// cancelSink cancels the stream during its n-th Write and fails it, as a
// shutdown signal arriving during a slow write would.
type cancelSink struct {
	collectortest.Recorder
	n      int
	cancel context.CancelFunc
}

func (c *cancelSink) Write(ctx context.Context, pts []collector.Point) error {
	if c.n--; c.n == 0 {
		c.cancel()
		return ctx.Err()
	}
	return c.Recorder.Write(ctx, pts)
}

// TestStreamShutdownDuringWrite: points whose Write failed at shutdown are
// written by the last checkpoint, before it records them as done; a
// restart then ends with the totals of an uninterrupted run.
func TestStreamShutdownDuringWrite(t *testing.T) {
	lines := genLog(12, 30000, 300, time.Date(2020, 3, 30, 8, 0, 0, 0, parisZone(t)), 2*time.Hour)
	half := len(lines) / 2
	run := func(interrupt bool) string {
		dir := t.TempDir()
		live := writeFile(t, filepath.Join(dir, "access.log"), joinLines(lines[:half]))
		cfg := genConfig(live)
		opts := Options{StateDir: filepath.Join(dir, "state"), Now: fakeClock()}
		sink := &cancelSink{n: -1}
		if interrupt {
			ctx, cancel := context.WithCancel(context.Background())
			sink.n, sink.cancel = 1, cancel
			s := newTestSource(t, cfg, opts)
			s.idle = func(ctx context.Context) error {
				t.Error("the first write did not stop the stream")
				cancel()
				return ctx.Err()
			}
			if err := s.Stream(ctx, sink); err != nil {
				t.Fatal(err)
			}
		}
		appendFile(t, live, joinLines(lines[half:]))
		if err := runStream(t, newTestSource(t, cfg, opts), sink, func() bool { return false }); err != nil {
			t.Fatal(err)
		}
		return collectortest.LineProtocol(sink.Points())
	}
	if want, got := run(false), run(true); got != want {
		t.Errorf("a write interrupted by shutdown lost points:\n%s", diffLP(want, got))
	}
}

// TestStreamReadsNewFilesOldestFirst: when a rotated file and the current
// one appear together (first start, or a rotation while entpipe was
// stopped), the rotated one, older but sorting after access.log by name,
// is read first; otherwise its lines would all be too late. File times
// are coarse, so the two often share one: then access.log.1 still comes
// first, as it extends access.log's name.
func TestStreamReadsNewFilesOldestFirst(t *testing.T) {
	lines := genLog(9, 200, 30, time.Date(2020, 3, 30, 8, 0, 0, 0, parisZone(t)), time.Hour)
	for _, tc := range []struct {
		name    string
		rotated string
		age     time.Duration // of the rotated file's mtime, relative to access.log's
	}{
		{"older", "access.log.1", time.Hour},
		{"same time", "access.log.1", 0},
		{"dateext, same time", "access.log-20200330", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			rotated := writeFile(t, filepath.Join(dir, tc.rotated), joinLines(lines[:100]))
			live := writeFile(t, filepath.Join(dir, "access.log"), joinLines(lines[100:]))
			now := time.Now()
			if err := os.Chtimes(live, now, now); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(rotated, now.Add(-tc.age), now.Add(-tc.age)); err != nil {
				t.Fatal(err)
			}
			stats := collector.NewStats()
			s := newTestSource(t, genConfig(filepath.Join(dir, "access.log*")), Options{Stats: stats, Now: fakeClock()})
			if err := runStream(t, s, &collectortest.Recorder{}, func() bool { return false }); err != nil {
				t.Fatal(err)
			}
			if got := counter(stats, collector.MetricLines, "source", "test", "result", collector.ResultTooLate); got != 0 {
				t.Errorf("too_late lines = %v, want 0 (%s read before access.log)", got, tc.rotated)
			}
			if got := counter(stats, collector.MetricLines, "source", "test", "result", collector.ResultParsed); got != 200 {
				t.Errorf("parsed lines = %v, want 200", got)
			}
		})
	}
}
