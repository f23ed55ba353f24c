package collector_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
)

// lifecycle records the starts and the stops of streamers, each run named
// source#config.
type lifecycle struct {
	mu     sync.Mutex
	events []string
}

func (l *lifecycle) add(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *lifecycle) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.events
	l.events = nil
	slices.Sort(e)
	return e
}

// source is a streamer that records its start and, once its ctx is done,
// its stop (a real source's last checkpoint).
func (l *lifecycle) source(name string, config int) collector.Source {
	return collector.Source{Name: name, Config: map[string]int{"v": config}, NewStreamer: streamer(func(ctx context.Context, _ collector.Sink) error {
		run := fmt.Sprintf("%s#%d", name, config)
		l.add("start " + run)
		<-ctx.Done()
		l.add("stop " + run)
		return nil
	})}
}

// TestRunnerApply: a reload starts added sources, stops removed ones
// (forgetting their self-metrics), restarts changed ones, leaves unchanged
// ones running, and changes nothing when a source cannot be built.
func TestRunnerApply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l lifecycle
		stats := collector.NewStats()
		r := collector.NewRunner(&collectortest.Recorder{}, stats, slog.New(slog.DiscardHandler))
		check := func(ch collector.Changes, want collector.Changes, events ...string) {
			t.Helper()
			synctest.Wait()
			if fmt.Sprint(ch) != fmt.Sprint(want) {
				t.Errorf("changes %+v, want %+v", ch, want)
			}
			if got := l.take(); !slices.Equal(got, events) {
				t.Errorf("events %q, want %q", got, events)
			}
		}
		// Before Run, Apply records; Run starts.
		check(apply(t, r, l.source("a", 1), l.source("b", 1)), collector.Changes{Started: []string{"a", "b"}})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		check(collector.Changes{}, collector.Changes{}, "start a#1", "start b#1")

		stats.Counter(collector.MetricLines, collector.LabelSource, "b", collector.LabelResult, collector.ResultParsed).Add(3)
		check(apply(t, r, l.source("a", 1), l.source("b", 2), l.source("c", 1)),
			collector.Changes{Started: []string{"c"}, Restarted: []string{"b"}}, "start b#2", "start c#1", "stop b#1")
		if v := stats.Counter(collector.MetricLines, collector.LabelSource, "b", collector.LabelResult, collector.ResultParsed).Value(); v != 3 {
			t.Errorf("a restarted source's counter = %v, want 3 (kept)", v)
		}

		failing := l.source("a", 9)
		failing.NewStreamer = func() (collector.Streamer, error) { return nil, errors.New("bad salt") }
		if _, err := r.Apply([]collector.Source{failing, l.source("c", 1)}); err == nil || !strings.Contains(err.Error(), "source a: bad salt") {
			t.Errorf("Apply with a source that cannot be built: %v", err)
		}
		check(collector.Changes{}, collector.Changes{}) // nothing stopped or started

		check(apply(t, r, l.source("c", 1)), collector.Changes{Stopped: []string{"a", "b"}}, "stop a#1", "stop b#2")
		for _, s := range stats.Snapshot() {
			if slices.Contains(s.Labels, "b") || slices.Contains(s.Labels, "a") {
				t.Errorf("series %s%q of a removed source still exported", s.Name, s.Labels)
			}
		}
		if _, err := r.Apply([]collector.Source{l.source("c", 1), l.source("c", 2)}); err == nil {
			t.Error("Apply accepted a name listed twice")
		}
		cancel()
		<-done
		check(collector.Changes{}, collector.Changes{}, "stop c#1")
	})
}

// TestRunnerApplyWaitsForTheStop: Apply returns once a stopped source has
// returned (its last checkpoint written), and the replacement starts after.
func TestRunnerApplyWaitsForTheStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l lifecycle
		slow := func(config int) collector.Source {
			s := l.source("s", config)
			s.NewStreamer = streamer(func(ctx context.Context, _ collector.Sink) error {
				l.add(fmt.Sprintf("start s#%d", config))
				<-ctx.Done()
				time.Sleep(5 * time.Second) // the final flush and checkpoint
				l.add(fmt.Sprintf("stop s#%d", config))
				return nil
			})
			return s
		}
		r := collector.NewRunner(&collectortest.Recorder{}, collector.NewStats(), slog.New(slog.DiscardHandler))
		apply(t, r, slow(1))
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		synctest.Wait()
		start := time.Now()
		apply(t, r, slow(2))
		if d := time.Since(start); d != 5*time.Second {
			t.Errorf("Apply returned after %v, want after the 5 s of the old source's stop", d)
		}
		synctest.Wait()
		if got, want := l.events, []string{"start s#1", "stop s#1", "start s#2"}; !slices.Equal(got, want) {
			t.Errorf("events %q, want %q", got, want)
		}
		cancel()
		<-done
	})
}
