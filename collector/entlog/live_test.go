package entlog

import (
	"bytes"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
)

// testClock is a wall clock the test moves. Files written "now" get its
// time as modification time (touch), since the follower measures a file's
// silence from its last write.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// silence returns a step function that moves the clock by step, n times,
// then reports false: a silence of n polls.
func (c *testClock) silence(n int, step time.Duration) func() bool {
	return func() bool {
		if n == 0 {
			return false
		}
		n--
		c.add(step)
		return true
	}
}

// touch sets path's modification time to the clock's time.
func (c *testClock) touch(t testing.TB, path string) {
	t.Helper()
	now := c.Now()
	if err := os.Chtimes(path, now, now); err != nil {
		t.Fatal(err)
	}
}

// pageViewLine is an ent-format page view of user at at.
func pageViewLine(at time.Time, user int) string {
	return fmt.Sprintf(`10.13.0.%d - live%d [%s] "GET /conversation/inbox HTTP/1.1" 200 1500 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/75.0" 0.040 "ELEVE"`,
		user, user, at.Format("02/Jan/2006:15:04:05 -0700"))
}

// upserted is the sum of field over the points of measurement that
// InfluxDB would hold after points (the last write of a series and time
// wins).
func upserted(points []collector.Point, measurement, field string) int64 {
	last := map[string]collector.Point{}
	for _, p := range points {
		if p.Measurement == measurement {
			key, _ := collectortest.Line(p)
			last[key] = p
		}
	}
	var sum int64
	for _, p := range last {
		n, _ := p.Fields[field].(int64)
		sum += n
	}
	return sum
}

// TestStreamPublishesWithoutLaterLine is issue 19's first acceptance at the
// source: 15 page views written one a second, then silence. Each one
// reaches the sink within publish_interval of its writing (polls every
// second, the default poll_interval; the first one after a silence at the
// next poll), although no line of a later minute arrives, and once the silence has
// lasted, the minutes are closed by the clock: the sink holds exactly
// what an import of the same file writes (visits and open visits
// included).
func TestStreamPublishesWithoutLaterLine(t *testing.T) {
	clock := &testClock{now: time.Now().Truncate(time.Minute).Add(20 * time.Second)}
	dir := t.TempDir()
	live := writeFile(t, filepath.Join(dir, "access.log"), "")
	clock.touch(t, live)
	cfg := genConfig(live)
	var rec collectortest.Recorder
	s := newTestSource(t, cfg, Options{Now: clock.Now, StateDir: filepath.Join(dir, "state")})
	var written []time.Time
	var delays []time.Duration
	// Polls every second, as poll_interval says, then 35 minutes: visits
	// close 30 minutes after their last page view.
	quiet, longer := clock.silence(10, time.Second), clock.silence(35*6, 10*time.Second)
	if err := runStream(t, s, &rec, func() bool {
		// A page view is seen once in the minute's load curve and in its
		// block's breakdown by service.
		seen := min(upserted(rec.Points(), collector.MeasTraffic, collector.FieldPageViews),
			upserted(rec.Points(), collector.MeasService, collector.FieldPageViews))
		for int64(len(delays)) < seen {
			delays = append(delays, clock.Now().Sub(written[len(delays)]))
		}
		if len(written) < 15 {
			appendFile(t, live, pageViewLine(clock.Now(), 1+len(written)%3)+"\n")
			clock.touch(t, live)
			written = append(written, clock.Now())
			clock.add(time.Second)
			return true
		}
		return quiet() || longer()
	}); err != nil {
		t.Fatal(err)
	}
	if len(delays) != len(written) {
		t.Fatalf("%d of %d page views reached the sink", len(delays), len(written))
	}
	for i, d := range delays {
		if d > cfg.PublishInterval {
			t.Errorf("page view %d reached the sink %v after it was written, want at most publish_interval (%v)", i+1, d, cfg.PublishInterval)
		}
	}
	want, _ := importLP(t, newTestSource(t, cfg, Options{}), live)
	if got := collectortest.LineProtocol(rec.Points()); got != want {
		t.Errorf("after the silence, the sink differs from an import of the same file:\n%s", diffLP(want, got))
	}
	t.Logf("15 page views: delays to the sink %v; then closed by the clock alone", delays)
}

// bufferedServer is one front server writing its own log: it writes each
// line at its time, or, like nginx with `access_log … buffer=64k
// flush=1m`, keeps its lines until the oldest is flush old.
type bufferedServer struct {
	path    string
	flush   time.Duration // 0: unbuffered
	pending []genLine
}

// write hands the server the lines of its log whose time has come, and
// writes what its buffer lets out; it touches the file when it writes.
func (b *bufferedServer) write(t testing.TB, clock *testClock, lines []genLine) {
	b.pending = append(b.pending, lines...)
	if len(b.pending) == 0 || (b.flush > 0 && clock.Now().Sub(b.pending[0].t) < b.flush) {
		return
	}
	appendFile(t, b.path, joinLines(b.pending))
	clock.touch(t, b.path)
	b.pending = b.pending[:0]
}

// TestStreamMergesBufferedServer is issue 19's point 2: three front
// servers of one ENT log the same visitors in three files, one of them
// buffered for 70 s (more than nginx's flush=1m). Followed by one source
// while they are written, with minutes published by the clock, the lines
// give exactly the points of an import of all of them in time order when
// reorder_window covers the flush delay; with the default window every
// line still counts (nothing too late) and every total that does not
// depend on the order of lines is exact.
func TestStreamMergesBufferedServer(t *testing.T) {
	start := time.Now().Truncate(time.Minute)
	lines := genLog(21, 3000, 150, start, 10*time.Minute)
	dir := t.TempDir()
	merged := writeFile(t, filepath.Join(dir, "merged.log"), joinLines(lines))
	for _, tc := range []struct {
		name   string
		window time.Duration // 0: the default
		exact  bool
	}{{"reorder_window 75s", 75 * time.Second, true}, {"default reorder_window", 0, false}} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &testClock{now: start}
			logs := filepath.Join(t.TempDir(), "logs")
			servers := []*bufferedServer{{path: filepath.Join(logs, "front1.log")}, {path: filepath.Join(logs, "front2.log")},
				{path: filepath.Join(logs, "front3.log"), flush: 70 * time.Second}}
			if err := os.MkdirAll(logs, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, sv := range servers {
				writeFile(t, sv.path, "")
				clock.touch(t, sv.path)
			}
			cfg := genConfig(filepath.Join(logs, "*.log"))
			if tc.window > 0 {
				cfg.ReorderWindow = tc.window
			}
			stats := collector.NewStats()
			var rec collectortest.Recorder
			s := newTestSource(t, cfg, Options{Now: clock.Now, Stats: stats, StateDir: filepath.Join(t.TempDir(), "state")})
			next, quiet := 0, clock.silence(40*6, 10*time.Second)
			if err := runStream(t, s, &rec, func() bool {
				if next == len(lines) && len(servers[2].pending) == 0 {
					return quiet()
				}
				clock.add(time.Second)
				due := make([][]genLine, len(servers))
				for ; next < len(lines) && lines[next].t.Before(clock.Now()); next++ {
					due[next%len(servers)] = append(due[next%len(servers)], lines[next])
				}
				for i, sv := range servers {
					sv.write(t, clock, due[i])
				}
				return true
			}); err != nil {
				t.Fatal(err)
			}
			parsed := counter(stats, collector.MetricLines, "source", "test", "result", collector.ResultParsed)
			late := counter(stats, collector.MetricLines, "source", "test", "result", collector.ResultTooLate)
			if parsed != float64(len(lines)) || late != 0 {
				t.Errorf("%v lines parsed, %v too late, want all %d parsed", parsed, late, len(lines))
			}
			want, _ := importLP(t, newTestSource(t, cfg, Options{Now: clock.Now}), merged)
			got := collectortest.LineProtocol(rec.Points())
			if !tc.exact {
				t.Logf("with the default window, the buffered server's lines are late: %d of %d series and times differ in their visits or open visits",
					countDiff(want, got), strings.Count(want, "\n"))
				want, got = orderFree(want), orderFree(got)
			}
			if got != want {
				t.Errorf("the three followed files differ from an import of their lines in order:\n%s", diffLP(want, got))
			}
		})
	}
}

// countDiff counts the lines of want that got does not hold.
func countDiff(want, got string) int {
	have := map[string]bool{}
	for _, l := range strings.Split(got, "\n") {
		have[l] = true
	}
	n := 0
	for _, l := range strings.Split(want, "\n") {
		if !have[l] {
			n++
		}
	}
	return n
}

// orderFree keeps the lines of a golden whose values do not depend on the
// order lines arrive in: it drops ent_active and the visits of
// ent_traffic.
func orderFree(lp string) string {
	var out []string
	for _, l := range strings.Split(lp, "\n") {
		if strings.HasPrefix(l, collector.MeasActive+",") {
			continue
		}
		if strings.HasPrefix(l, collector.MeasTraffic+",") {
			f := strings.Fields(l)
			var kept []string
			for _, kv := range strings.Split(f[1], ",") {
				if !strings.HasPrefix(kv, collector.FieldVisits+"=") {
					kept = append(kept, kv)
				}
			}
			l = f[0] + " " + strings.Join(kept, ",") + " " + f[2]
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// TestStreamRejectsFutureLines is issue 19's second acceptance at the
// source: 10 good lines, 2 stamped a year ahead (a server with a wrong
// clock), 20 good lines. The 2 are future, move nothing, and every good
// line counts; the results add up to the 32 lines, and so they do after a
// restart from the checkpoint, which reads nothing twice and goes on
// counting new lines.
func TestStreamRejectsFutureLines(t *testing.T) {
	clock := &testClock{now: time.Now().Truncate(time.Minute)}
	dir := t.TempDir()
	live := writeFile(t, filepath.Join(dir, "access.log"), "")
	var b strings.Builder
	for i := range 32 {
		at := clock.Now().Add(time.Duration(i) * time.Second)
		if i == 10 || i == 11 {
			at = at.AddDate(1, 0, 0)
		}
		b.WriteString(pageViewLine(at, 1+i%5) + "\n")
	}
	appendFile(t, live, b.String())
	clock.add(32 * time.Second)
	clock.touch(t, live)
	cfg := genConfig(live)
	state := filepath.Join(dir, "state")
	results := func(stats *collector.Stats) map[string]float64 {
		out := map[string]float64{}
		for _, r := range append([]string{collector.ResultParsed, collector.ResultTooLate, collector.ResultFuture}, ParseReasons()...) {
			if n := counter(stats, collector.MetricLines, "source", "test", "result", r); n > 0 {
				out[r] = n
			}
		}
		return out
	}
	var rec collectortest.Recorder
	stats := collector.NewStats()
	if err := runStream(t, newTestSource(t, cfg, Options{Now: clock.Now, Stats: stats, StateDir: state}), &rec,
		func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	if got, want := results(stats), map[string]float64{collector.ResultParsed: 30, collector.ResultFuture: 2}; !maps.Equal(got, want) {
		t.Errorf("results %v, want %v", got, want)
	}
	if n := upserted(rec.Points(), collector.MeasTraffic, collector.FieldPageViews); n != 30 {
		t.Errorf("%d page views published, want the 30 good ones", n)
	}

	// Restart: nothing read again; 5 new good lines all count.
	appendFile(t, live, pageViewLine(clock.Now(), 1)+"\n"+pageViewLine(clock.Now(), 2)+"\n"+pageViewLine(clock.Now(), 3)+"\n"+
		pageViewLine(clock.Now().Add(time.Second), 4)+"\n"+pageViewLine(clock.Now().Add(time.Second), 5)+"\n")
	clock.touch(t, live)
	stats = collector.NewStats()
	if err := runStream(t, newTestSource(t, cfg, Options{Now: clock.Now, Stats: stats, StateDir: state}), &rec,
		func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	if got, want := results(stats), map[string]float64{collector.ResultParsed: 5}; !maps.Equal(got, want) {
		t.Errorf("after a restart, results %v, want %v", got, want)
	}
	if n := upserted(rec.Points(), collector.MeasTraffic, collector.FieldPageViews); n != 35 {
		t.Errorf("%d page views published after the restart, want 35", n)
	}
}

// TestStreamRecoversWedgedCheckpoint: entpipe before max_future accepted
// lines stamped a year ahead, and its watermark then made every later line
// too late, also after a restart, since the checkpoint held it. Such a
// checkpoint (written here by a source whose clock says it is a year
// later, so that the lines are not future to it) is repaired when the
// source starts: the next lines count.
func TestStreamRecoversWedgedCheckpoint(t *testing.T) {
	now := time.Now().Truncate(time.Minute)
	dir := t.TempDir()
	live := writeFile(t, filepath.Join(dir, "access.log"), "")
	var b strings.Builder
	for i := range 12 {
		at := now.Add(time.Duration(i) * time.Second)
		if i == 5 || i == 6 {
			at = at.AddDate(1, 0, 0)
		}
		b.WriteString(pageViewLine(at, 1+i%3) + "\n")
	}
	appendFile(t, live, b.String())
	cfg := genConfig(live)
	state := filepath.Join(dir, "state")
	stats := collector.NewStats()
	later := &testClock{now: now.AddDate(1, 1, 0)}
	if err := runStream(t, newTestSource(t, cfg, Options{Now: later.Now, Stats: stats, StateDir: state}),
		&collectortest.Recorder{}, func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	if n := counter(stats, collector.MetricLines, "source", "test", "result", collector.ResultTooLate); n != 5 {
		t.Fatalf("the wedging run counted %v lines too late, want the 5 after the year-ahead ones", n)
	}

	appendFile(t, live, pageViewLine(now.Add(time.Minute), 1)+"\n"+pageViewLine(now.Add(time.Minute+time.Second), 2)+"\n")
	clock := &testClock{now: now.Add(2 * time.Minute)}
	var logs bytes.Buffer
	stats = collector.NewStats()
	var rec collectortest.Recorder
	if err := runStream(t, newTestSource(t, cfg, Options{Now: clock.Now, Stats: stats, StateDir: state,
		Log: slog.New(slog.NewTextHandler(&logs, nil))}), &rec, func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	parsed := counter(stats, collector.MetricLines, "source", "test", "result", collector.ResultParsed)
	late := counter(stats, collector.MetricLines, "source", "test", "result", collector.ResultTooLate)
	if parsed != 2 || late != 0 {
		t.Errorf("after the repair, %v lines parsed and %v too late, want 2 and 0", parsed, late)
	}
	if n := upserted(rec.Points(), collector.MeasTraffic, collector.FieldPageViews); n != 2 {
		t.Errorf("%d page views published after the repair, want 2", n)
	}
	if !strings.Contains(logs.String(), "stamped in the future") {
		t.Errorf("the repair was not logged:\n%s", logs.String())
	}
}

// TestStreamNoIdleCheckpoint is issue 19's point 6: once the lines are
// read and checkpointed, idle polls with the clock running (minutes
// closing, visits published) rewrite no checkpoint, and the checkpoint
// time metric keeps saying when the last one was written; a new line
// brings the next checkpoint.
func TestStreamNoIdleCheckpoint(t *testing.T) {
	clock := &testClock{now: time.Now().Truncate(time.Minute)}
	dir := t.TempDir()
	live := writeFile(t, filepath.Join(dir, "access.log"), pageViewLine(clock.Now(), 1)+"\n"+pageViewLine(clock.Now(), 2)+"\n")
	clock.touch(t, live)
	cfg := genConfig(live)
	cfg.CheckpointInterval = time.Second
	path := filepath.Join(dir, "state", "checkpoint.gob")
	stats := collector.NewStats()
	gauge := stats.Gauge(collector.MetricCheckpointTime, "source", "test")
	type written struct {
		ino  uint64
		time float64
	}
	look := func() written {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return written{fi.Sys().(*syscall.Stat_t).Ino, gauge.Value()}
	}
	var rec collectortest.Recorder
	var seen []written
	polls, idleVisits := 0, int64(0)
	if err := runStream(t, newTestSource(t, cfg, Options{Now: clock.Now, Stats: stats, StateDir: filepath.Dir(path)}), &rec, func() bool {
		polls++
		clock.add(5 * time.Second)
		switch {
		case polls == 2:
			seen = append(seen, look()) // the first checkpoint, after the lines
		case polls < 400: // 33 idle minutes, every visit closed
		case polls == 400:
			seen = append(seen, look())
			idleVisits = upserted(rec.Points(), collector.MeasTraffic, collector.FieldVisits)
			appendFile(t, live, pageViewLine(clock.Now(), 3)+"\n")
			clock.touch(t, live)
		case polls == 402:
			seen = append(seen, look())
			return false
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if seen[0].ino != seen[1].ino || seen[0].time != seen[1].time || seen[0].time == 0 {
		t.Errorf("idle for 33 minutes, the checkpoint went from %+v to %+v: rewritten with nothing read", seen[0], seen[1])
	}
	if seen[2].ino == seen[1].ino || seen[2].time <= seen[1].time {
		t.Errorf("a new line did not bring a new checkpoint: %+v then %+v", seen[1], seen[2])
	}
	if idleVisits != 2 {
		t.Errorf("%d visits written while idle, want 2: the clock alone applies them", idleVisits)
	}
}

// TestImportAheadLines is issue 19's point 3 for import: lines stamped a
// year ahead of the lines around them (the first line among them) are
// future and change nothing: the import gives the points of the same file
// without them. A log that really jumps (six hours without a line, then
// the morning) keeps every line.
func TestImportAheadLines(t *testing.T) {
	input := filepath.Join("testdata", "ahead-lines", "input.log")
	data, err := os.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	var good []string
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if l != "" && !strings.Contains(l, "/2021:") {
			good = append(good, l)
		}
	}
	cfg := loadCase(t, filepath.Dir(input))
	got, sum := importLP(t, newTestSource(t, cfg, Options{}), input)
	want, _ := importLP(t, newTestSource(t, cfg, Options{}), writeFile(t, filepath.Join(t.TempDir(), "good.log"), strings.Join(good, "")))
	if got != want {
		t.Errorf("the lines a year ahead changed the points:\n%s", diffLP(want, got))
	}
	if sum.Results[collector.ResultFuture] != 3 || sum.Lines != int64(len(good))+3 {
		t.Errorf("summary %+v: want the 3 lines ahead as future, %d lines in all", sum.Results, len(good)+3)
	}

	night := slices.Concat(genLog(4, 300, 40, time.Date(2020, 3, 30, 21, 0, 0, 0, parisZone(t)), time.Hour),
		genLog(5, 300, 40, time.Date(2020, 3, 31, 4, 0, 0, 0, parisZone(t)), time.Hour))
	_, sum = importLP(t, newTestSource(t, genConfig("unused"), Options{}), writeFile(t, filepath.Join(t.TempDir(), "night.log"), joinLines(night)))
	if sum.Results[collector.ResultParsed] != 600 || sum.Lines != 600 {
		t.Errorf("a log with a six-hour gap: %+v, want its 600 lines parsed", sum.Results)
	}
}

// TestStreamCountsEveryLineOnce: the lines a followed file holds (good,
// malformed, too long, too late, future) add up, by result, to the lines
// in the file.
func TestStreamCountsEveryLineOnce(t *testing.T) {
	clock := &testClock{now: time.Now().Truncate(time.Minute).Add(30 * time.Minute)}
	dir := t.TempDir()
	var b strings.Builder
	for i := range 50 {
		at := clock.Now().Add(time.Duration(i-50) * time.Second)
		switch i % 10 {
		case 3:
			b.WriteString("garbage\n")
		case 5:
			at = at.Add(-25 * time.Minute) // older than the horizon behind the lines before it
		case 7:
			at = at.Add(time.Hour)
		}
		if i%10 != 3 {
			b.WriteString(pageViewLine(at, 1+i%4) + "\n")
		}
	}
	b.WriteString(strings.Repeat("x", MaxLineBytes+10) + "\n")
	live := writeFile(t, filepath.Join(dir, "access.log"), b.String())
	clock.touch(t, live)
	stats := collector.NewStats()
	if err := runStream(t, newTestSource(t, genConfig(live), Options{Now: clock.Now, Stats: stats}), &collectortest.Recorder{},
		func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	total := 0.0
	byResult := map[string]float64{}
	for _, r := range append([]string{collector.ResultParsed, collector.ResultTooLate, collector.ResultFuture}, ParseReasons()...) {
		n := counter(stats, collector.MetricLines, "source", "test", "result", r)
		total += n
		if n > 0 {
			byResult[r] = n
		}
	}
	want := map[string]float64{collector.ResultParsed: 35, collector.ResultTooLate: 5, ReasonMalformed: 5, collector.ResultFuture: 5, ReasonTooLong: 1}
	if total != 51 || !maps.Equal(byResult, want) {
		t.Errorf("results %v (%v lines), want %v (51 lines, each once)", byResult, total, want)
	}
}
