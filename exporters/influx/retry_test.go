package influx_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
	"github.com/entpipe/entpipe/exporters/influx"
)

// fakeInflux answers writes with the scripted statuses, then 204, and keeps
// the bodies it accepted. influxd cannot be made to answer 429 or 503, nor
// be held at will.
type fakeInflux struct {
	gate     chan struct{} // when set, writes wait until it is closed
	mu       sync.Mutex
	script   []int
	header   http.Header
	accepted []string
	held     map[string]bool // bodies waiting at the gate
}

func (f *fakeInflux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if f.gate != nil {
		f.mu.Lock()
		if f.held == nil {
			f.held = map[string]bool{}
		}
		f.held[string(body)] = true
		f.mu.Unlock()
		select {
		case <-f.gate:
		case <-r.Context().Done():
			return
		}
		f.mu.Lock()
		delete(f.held, string(body))
		f.mu.Unlock()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.script) > 0 {
		code := f.script[0]
		f.script = f.script[1:]
		for k, v := range f.header {
			w.Header()[k] = v
		}
		w.WriteHeader(code)
		return
	}
	f.accepted = append(f.accepted, string(body))
	w.WriteHeader(http.StatusNoContent)
}

// TestRetries checks the answers InfluxDB gives under load or
// misconfiguration: each is retried with the expected delays (exponential
// with jitter, capped, Retry-After honoured) and no point is dropped.
func TestRetries(t *testing.T) {
	const first, maxDelay = 100 * time.Millisecond, 1600 * time.Millisecond
	// backoff bounds of retry k: jitter keeps it in [d/2, d].
	exp := func(k int) (time.Duration, time.Duration) {
		d := min(first<<k, maxDelay)
		return d / 2, d
	}
	for _, tc := range []struct {
		name    string
		script  []int
		header  http.Header
		reason  string
		atLeast time.Duration // Retry-After: every delay is at least this
	}{
		{"503 backs off exponentially", []int{503, 503, 503, 503, 503, 503, 503}, nil, influx.ReasonServer, 0},
		{"429 honours Retry-After", []int{429, 429}, http.Header{"Retry-After": {"7"}}, influx.ReasonThrottled, 7 * time.Second},
		{"500 then recovers", []int{500}, nil, influx.ReasonServer, 0},
		{"404 missing database is retried, not dropped", []int{404, 404}, nil, influx.ReasonNotFound, 0},
		{"401 bad token is retried, not dropped", []int{401}, nil, influx.ReasonUnauthorized, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeInflux{script: append([]int(nil), tc.script...), header: tc.header}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			var mu sync.Mutex
			var delays []time.Duration
			sleep := func(ctx context.Context, d time.Duration) error {
				mu.Lock()
				delays = append(delays, d)
				mu.Unlock()
				return ctx.Err()
			}
			cfg := testConfig(srv.URL, "db/rp")
			cfg.RetryInterval, cfg.MaxRetryInterval = first, maxDelay
			stats := collector.NewStats()
			sink, err := influx.NewWithSleep(cfg, influx.Options{DataDir: t.TempDir(), Stats: stats, Log: slog.New(slog.DiscardHandler)}, sleep)
			if err != nil {
				t.Fatal(err)
			}
			pts := traffic{minutes: 3, start: time.Date(2020, 3, 30, 8, 0, 0, 0, time.UTC)}.round(1)
			if err := sink.Write(context.Background(), pts); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := sink.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(fake.accepted, "\n"), linesOf(t, pts); got != want {
				t.Fatalf("accepted:\n%s\nwant:\n%s", got, want)
			}
			if len(delays) != len(tc.script) {
				t.Fatalf("delays %v, want one per failed try (%d)", delays, len(tc.script))
			}
			for k, d := range delays {
				lo, hi := exp(k)
				lo, hi = max(lo, tc.atLeast), max(hi, tc.atLeast)
				if d < lo || d > hi {
					t.Errorf("delay %d = %s, want within [%s, %s]", k, d, lo, hi)
				}
			}
			var errs float64
			for _, s := range stats.Snapshot() {
				if s.Name == collector.MetricInfluxErrors {
					errs += s.Value
					if s.Labels[1] == tc.reason && s.Value != float64(len(tc.script)) {
						t.Errorf("errors{reason=%s} = %v, want %d", tc.reason, s.Value, len(tc.script))
					}
				}
				if s.Name == collector.MetricInfluxRejected && s.Value != 0 {
					t.Errorf("rejected = %v, want 0", s.Value)
				}
			}
			if errs != float64(len(tc.script)) {
				t.Errorf("write errors total %v, want %d", errs, len(tc.script))
			}
		})
	}
}

// linesOf renders pts as the sink must send them, one line each.
func linesOf(t *testing.T, pts []collector.Point) string {
	t.Helper()
	lines := make([]string, len(pts))
	for i, p := range pts {
		_, lines[i] = collectortest.Line(p)
	}
	return strings.Join(lines, "\n")
}

// TestFlushWaitsUntilDurable holds InfluxDB's answer: Flush must not
// return before the batch is accepted (a source would checkpoint points
// that a crash then loses), and returns once it is.
func TestFlushWaitsUntilDurable(t *testing.T) {
	fake := &fakeInflux{gate: make(chan struct{})}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	h := newHarness(t, testConfig(srv.URL, "db/rp"), t.TempDir())
	pts := traffic{minutes: 1, start: time.Date(2020, 3, 30, 8, 0, 0, 0, time.UTC)}.round(0)
	if err := h.sink.Write(context.Background(), pts); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	err := h.sink.Flush(ctx)
	cancel()
	if err == nil {
		t.Fatal("Flush returned while InfluxDB had not answered")
	}
	close(fake.gate)
	if err := h.sink.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	accepted := strings.Join(fake.accepted, "\n")
	fake.mu.Unlock()
	if want := len(pts); strings.Count(accepted, "\n")+1 != want || len(h.spoolFiles(t)) != 0 {
		t.Fatalf("after Flush: accepted %q, spool %v; want %d points accepted", accepted, h.spoolFiles(t), want)
	}
	h.close(t, time.Second)
}

// TestConcurrentWritesKeepBucketOrder holds InfluxDB's answers while four
// batches are cut: A1, B, A2 (A1's buckets rewritten) and C. B and C have
// buckets of their own, so they are in flight beside A1 at once; A2 waits
// until A1 is accepted, though a writer is free and A2 is older than C.
func TestConcurrentWritesKeepBucketOrder(t *testing.T) {
	fake := &fakeInflux{gate: make(chan struct{})}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cfg := testConfig(srv.URL, "db/rp")
	cfg.BatchSize, cfg.Concurrency = len(collector.Profiles()), 4 // one minute a batch
	h := newHarness(t, cfg, t.TempDir())
	minute := func(m, round int) []collector.Point {
		return traffic{minutes: 1, start: time.Date(2020, 3, 30, 8, m, 0, 0, time.UTC)}.round(round)
	}
	a1, b, a2, c := minute(0, 0), minute(1, 0), minute(0, 1), minute(2, 0)
	for _, pts := range [][]collector.Point{a1, b, a2, c} {
		if err := h.sink.Write(context.Background(), pts); err != nil {
			t.Fatal(err)
		}
	}
	held := func() map[string]bool {
		fake.mu.Lock()
		defer fake.mu.Unlock()
		return maps.Clone(fake.held)
	}
	waitFor(t, "C in flight", 10*time.Second, func() bool { return held()[linesOf(t, c)] })
	if got := held(); len(got) != 3 || !got[linesOf(t, a1)] || !got[linesOf(t, b)] || got[linesOf(t, a2)] {
		var names []string
		for name, pts := range map[string][]collector.Point{"A1": a1, "B": b, "A2": a2, "C": c} {
			if got[linesOf(t, pts)] {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		t.Fatalf("in flight: %v (%d requests); want A1, B and C, not A2", names, len(got))
	}
	close(fake.gate)
	if err := h.sink.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	order := slices.Index(fake.accepted, linesOf(t, a1)) < slices.Index(fake.accepted, linesOf(t, a2))
	n := len(fake.accepted)
	fake.mu.Unlock()
	if n != 4 || !order {
		t.Fatalf("accepted %d batches, A1 before A2: %v", n, order)
	}
	h.close(t, time.Second)
}

// TestConcurrentWritesKeepBucketOrderAcrossRetries: whichever of the
// first writes in flight fails (503) goes to the spool; a later rewrite of
// its buckets waits for it and is accepted after it, straight or through
// the spool behind it.
func TestConcurrentWritesKeepBucketOrderAcrossRetries(t *testing.T) {
	for range 20 { // which write fails first varies from run to run
		fake := &fakeInflux{script: []int{503}}
		srv := httptest.NewServer(fake)
		cfg := testConfig(srv.URL, "db/rp")
		cfg.BatchSize, cfg.Concurrency = len(collector.Profiles()), 4 // one minute a batch
		sink, err := influx.NewWithSleep(cfg, influx.Options{DataDir: t.TempDir()}, func(ctx context.Context, _ time.Duration) error { return ctx.Err() })
		if err != nil {
			t.Fatal(err)
		}
		var rounds [][]string
		for r := range 3 {
			var round []string
			for m := range 3 {
				pts := traffic{minutes: 1, start: time.Date(2020, 3, 30, 8, m, 0, 0, time.UTC)}.round(r)
				if err := sink.Write(context.Background(), pts); err != nil {
					t.Fatal(err)
				}
				round = append(round, linesOf(t, pts))
			}
			rounds = append(rounds, round)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := sink.Close(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		srv.Close()
		for m := range 3 {
			var at []int
			for r := range rounds {
				at = append(at, slices.Index(fake.accepted, rounds[r][m]))
			}
			if !slices.IsSorted(at) || at[0] < 0 {
				t.Fatalf("minute %d: rounds 0, 1, 2 accepted at %v of %d writes; want all, in order", m, at, len(fake.accepted))
			}
		}
	}
}

// TestCloseSpoolsWhatIsInMemory gives Close less time than InfluxDB takes
// to answer: the batches still in memory go to the spool, and the next
// Sink on the same directory delivers them.
func TestCloseSpoolsWhatIsInMemory(t *testing.T) {
	hung := &fakeInflux{gate: make(chan struct{})}
	srv := httptest.NewServer(hung)
	defer srv.Close()
	defer close(hung.gate)
	dir := t.TempDir()
	cfg := testConfig(srv.URL, "db/rp")
	cfg.BatchSize, cfg.Timeout = 10, time.Minute
	h := newHarness(t, cfg, dir)
	// 14 points: one batch in flight, the rest in memory.
	pts := traffic{minutes: 2, start: time.Date(2020, 3, 30, 8, 0, 0, 0, time.UTC)}.round(0)
	if err := h.sink.Write(context.Background(), pts); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	err := h.sink.Close(ctx)
	cancel()
	if err == nil || !strings.Contains(err.Error(), "2 batch(es)") || strings.Contains(err.Error(), "lost") {
		t.Fatalf("close: %v; want both batches spooled", err)
	}

	fake := &fakeInflux{}
	srv2 := httptest.NewServer(fake)
	defer srv2.Close()
	h2 := newHarness(t, testConfig(srv2.URL, "db/rp"), dir)
	h2.close(t, 10*time.Second)
	if got, want := strings.Join(fake.accepted, "\n"), linesOf(t, pts); got != want {
		t.Fatalf("delivered by the next run:\n%s\nwant:\n%s", got, want)
	}
}
