package collector_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
)

type gatherFunc func(ctx context.Context) ([]collector.Point, error)

func (f gatherFunc) Gather(ctx context.Context) ([]collector.Point, error) { return f(ctx) }

type streamFunc func(ctx context.Context, sink collector.Sink) error

func (f streamFunc) Stream(ctx context.Context, sink collector.Sink) error { return f(ctx, sink) }

func gatherer(f gatherFunc) func() (collector.Gatherer, error) {
	return func() (collector.Gatherer, error) { return f, nil }
}

func streamer(f streamFunc) func() (collector.Streamer, error) {
	return func() (collector.Streamer, error) { return f, nil }
}

// apply applies sources to r and fails the test on an error.
func apply(t *testing.T, r *collector.Runner, sources ...collector.Source) collector.Changes {
	t.Helper()
	ch, err := r.Apply(sources)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func point(v int64) collector.Point {
	return collector.Point{Measurement: collector.MeasTraffic, Fields: map[string]any{collector.FieldVisits: v}, Time: time.Unix(0, 0)}
}

func TestRunnerGathererPollsAndBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		rec := &collectortest.Recorder{}
		stats := collector.NewStats()
		r := collector.NewRunner(rec, stats, slog.New(slog.DiscardHandler))
		apply(t, r, collector.Source{Name: "g", Interval: 10 * time.Second, NewGatherer: gatherer(func(context.Context) ([]collector.Point, error) {
			n := calls.Add(1)
			if n == 2 || n == 3 {
				return nil, errors.New("boom")
			}
			return []collector.Point{point(n)}, nil
		})})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		// t=0 ok, t=10 fail, t=11 fail (backoff 1s), t=13 ok (backoff 2s), t=23 ok.
		time.Sleep(25 * time.Second)
		synctest.Wait()
		cancel()
		<-done
		if got := calls.Load(); got != 5 {
			t.Errorf("gather calls = %d, want 5", got)
		}
		if got := len(rec.Points()); got != 3 {
			t.Errorf("points written = %d, want 3", got)
		}
		if up := stats.Gauge(collector.MetricSourceUp, collector.LabelSource, "g").Value(); up != 1 {
			t.Errorf("up = %v, want 1", up)
		}
		if n := stats.Counter(collector.MetricSourcePoints, collector.LabelSource, "g").Value(); n != 3 {
			t.Errorf("points metric = %v, want 3", n)
		}
	})
}

func TestRunnerRestartsStreamer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var starts atomic.Int64
		rec := &collectortest.Recorder{}
		stats := collector.NewStats()
		r := collector.NewRunner(rec, stats, slog.New(slog.DiscardHandler))
		apply(t, r, collector.Source{Name: "s", NewStreamer: streamer(func(ctx context.Context, sink collector.Sink) error {
			if starts.Add(1) < 4 {
				_ = sink.Write(ctx, []collector.Point{point(1)})
				return errors.New("file vanished")
			}
			<-ctx.Done()
			return nil
		})})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		time.Sleep(time.Minute) // backoffs 1s + 2s + 4s
		synctest.Wait()
		if got := starts.Load(); got != 4 {
			t.Errorf("starts = %d, want 4", got)
		}
		cancel()
		<-done
		if n := stats.Counter(collector.MetricSourceRestarts, collector.LabelSource, "s").Value(); n != 3 {
			t.Errorf("restarts = %v, want 3", n)
		}
		if n := stats.Counter(collector.MetricSourcePoints, collector.LabelSource, "s").Value(); n != 3 {
			t.Errorf("points = %v, want 3", n)
		}
	})
}

func TestTeeJoinsErrorsAndWritesAll(t *testing.T) {
	a, b := &collectortest.Recorder{}, &collectortest.Recorder{}
	failing := streamSinkErr{errors.New("down")}
	tee := collector.Tee{a, failing, b}
	err := tee.Write(t.Context(), []collector.Point{point(1)})
	if err == nil || err.Error() != "down" {
		t.Fatalf("err = %v, want down", err)
	}
	if len(a.Points()) != 1 || len(b.Points()) != 1 {
		t.Fatalf("every sink must get the points: %d %d", len(a.Points()), len(b.Points()))
	}
}

type streamSinkErr struct{ err error }

func (s streamSinkErr) Write(context.Context, []collector.Point) error { return s.err }
func (s streamSinkErr) Flush(context.Context) error                    { return s.err }

func TestProblemsPaths(t *testing.T) {
	p := collector.NewProblems()
	p.At("influx").At("bucket").Addf("must not be empty")
	p.At(`sources[1] "oze78":`).At("entlog").At("paths").Addf("must list at least one file")
	p.Addf("top")
	want := "influx.bucket: must not be empty\nsources[1] \"oze78\": entlog.paths: must list at least one file\ntop"
	if got := p.Err().Error(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestLineProtocolLastWriteWins(t *testing.T) {
	p1 := collector.Point{Measurement: "m", Tags: map[string]string{"b": "x y", "a": "1"},
		Fields: map[string]any{"n": int64(1), "r": 0.5}, Time: time.Unix(60, 0)}
	p2 := collectortest.Clone(p1)
	p2.Fields["n"] = int64(2)
	got := collectortest.LineProtocol([]collector.Point{p1, p2})
	want := "m,a=1,b=x\\ y n=2i,r=0.5 60000000000\n"
	if got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}
