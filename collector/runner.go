package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"time"
)

// Runner owns the goroutines of every source: it polls Gatherers at their
// interval, keeps Streamers running, restarts a failing source with
// exponential backoff, and records per-source self-metrics (up, points,
// restarts, last success). Its sources are keyed by name: Apply makes the
// running set match a new list (a configuration reload) and touches only
// the sources that were added, removed or changed. Run blocks until its ctx
// is done and every source goroutine has returned.
type Runner struct {
	sink  Sink
	stats *Stats
	log   *slog.Logger
	// MinBackoff and MaxBackoff bound the delay before a failed source is
	// tried again; the delay doubles on each consecutive failure.
	MinBackoff, MaxBackoff time.Duration

	mu      sync.Mutex // serialises Apply and Run's start and stop; guards what follows
	ctx     context.Context
	stopped bool // Run's ctx is done: nothing starts any more
	tasks   map[string]*task
	wg      sync.WaitGroup
}

// Source is one item of the list given to Runner.Apply.
type Source struct {
	// Name identifies the source across Apply calls; it is the source label
	// of its self-metrics.
	Name string
	// Config is what the source is built from. Apply leaves a running
	// source alone when its Config is reflect.DeepEqual to the new one, and
	// restarts it otherwise.
	Config any
	// Interval is the poll period of a Gatherer.
	Interval time.Duration
	// NewGatherer or NewStreamer, exactly one of them, builds the source.
	// Apply calls it only for a source it starts or restarts.
	NewGatherer func() (Gatherer, error)
	NewStreamer func() (Streamer, error)
}

// Changes lists, by name, what an Apply did to the running sources.
type Changes struct {
	Started, Stopped, Restarted []string
}

// task is one source of the Runner and its goroutine, once started.
type task struct {
	src    Source
	loop   func(ctx context.Context)
	cancel context.CancelFunc // nil until started
	done   chan struct{}      // closed when the goroutine has returned
}

// NewRunner returns a Runner writing every source's points to sink.
func NewRunner(sink Sink, stats *Stats, log *slog.Logger) *Runner {
	return &Runner{sink: sink, stats: stats, log: log, MinBackoff: time.Second, MaxBackoff: time.Minute,
		tasks: map[string]*task{}}
}

// Apply makes sources the Runner's sources. It first builds every source
// that is new or whose Config changed; if one cannot be built, it returns
// the errors and changes nothing. Then it stops the sources that are gone
// or changed, waiting for each to return (a Streamer makes its last flush
// and checkpoint), and starts the new and changed ones, which resume from
// their checkpoints; unchanged sources keep running. The self-metrics of a
// removed source are forgotten. Before Run, Apply only records the sources,
// which Run starts.
func (r *Runner) Apply(sources []Source) (Changes, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ch Changes
	var errs []error
	next := make(map[string]*task, len(sources))
	for _, s := range sources {
		if _, dup := next[s.Name]; dup {
			errs = append(errs, fmt.Errorf("source %s: listed twice", s.Name))
			continue
		}
		old := r.tasks[s.Name]
		if old != nil && reflect.DeepEqual(old.src.Config, s.Config) {
			next[s.Name] = old
			continue
		}
		loop, err := r.build(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("source %s: %w", s.Name, err))
			continue
		}
		next[s.Name] = &task{src: s, loop: loop}
		if old != nil {
			ch.Restarted = append(ch.Restarted, s.Name)
		} else {
			ch.Started = append(ch.Started, s.Name)
		}
	}
	if len(errs) > 0 {
		return Changes{}, errors.Join(errs...)
	}
	var stopping []*task
	for name, old := range r.tasks {
		if next[name] == old {
			continue
		}
		if next[name] == nil {
			ch.Stopped = append(ch.Stopped, name)
		}
		if old.cancel != nil {
			old.cancel()
			stopping = append(stopping, old)
		}
	}
	for _, old := range stopping {
		<-old.done
	}
	for _, name := range ch.Stopped {
		r.stats.Forget(LabelSource, name)
	}
	r.tasks = next
	if r.ctx != nil && !r.stopped {
		for _, t := range next {
			if t.cancel == nil {
				r.start(t)
			}
		}
	}
	slices.Sort(ch.Started)
	slices.Sort(ch.Stopped)
	slices.Sort(ch.Restarted)
	return ch, nil
}

// build returns the goroutine body of s.
func (r *Runner) build(s Source) (func(ctx context.Context), error) {
	switch {
	case (s.NewGatherer == nil) == (s.NewStreamer == nil):
		return nil, errors.New("BUG: exactly one of NewGatherer and NewStreamer must be set")
	case s.NewGatherer != nil:
		g, err := s.NewGatherer()
		if err != nil {
			return nil, err
		}
		return r.gatherLoop(s.Name, s.Interval, g), nil
	default:
		st, err := s.NewStreamer()
		if err != nil {
			return nil, err
		}
		return r.streamLoop(s.Name, st), nil
	}
}

// start runs t under the Runner's context. r.mu is held.
func (r *Runner) start(t *task) {
	ctx, cancel := context.WithCancel(r.ctx)
	t.cancel, t.done = cancel, make(chan struct{})
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(t.done)
		defer cancel()
		t.loop(ctx)
	}()
}

// Run starts every source and waits for them to return after ctx is done.
// A Runner runs once.
func (r *Runner) Run(ctx context.Context) {
	r.mu.Lock()
	r.ctx = ctx
	for _, t := range r.tasks {
		r.start(t)
	}
	r.mu.Unlock()
	<-ctx.Done()
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	r.wg.Wait()
}

// gatherLoop polls g every interval under name.
func (r *Runner) gatherLoop(name string, every time.Duration, g Gatherer) func(ctx context.Context) {
	m := r.metrics(name)
	return func(ctx context.Context) {
		fails := 0
		for {
			start := time.Now()
			err := r.gatherOnce(ctx, g, m)
			m.duration.Set(time.Since(start).Seconds())
			wait := every
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				fails++
				wait = min(every, r.backoff(fails))
				r.log.Warn("gather failed", "source", name, "err", err, "retry_in", wait)
			} else {
				fails = 0
			}
			if !sleep(ctx, wait) {
				return
			}
		}
	}
}

func (r *Runner) gatherOnce(ctx context.Context, g Gatherer, m sourceMetrics) error {
	points, err := g.Gather(ctx)
	if err == nil && len(points) > 0 {
		err = r.sink.Write(ctx, points)
	}
	m.record(len(points), err)
	return err
}

// streamLoop runs s under name until ctx is done, restarting it with
// backoff whenever it returns early.
func (r *Runner) streamLoop(name string, s Streamer) func(ctx context.Context) {
	m := r.metrics(name)
	return func(ctx context.Context) {
		fails := 0
		for {
			m.up.Set(1)
			start := time.Now()
			err := s.Stream(ctx, countingSink{r.sink, m.points})
			if ctx.Err() != nil {
				return
			}
			m.up.Set(0)
			m.restarts.Inc()
			if time.Since(start) > r.MaxBackoff {
				fails = 0 // it ran long enough: the failure is new, not a loop
			}
			fails++
			wait := r.backoff(fails)
			r.log.Error("source stopped, restarting", "source", name, "err", err, "retry_in", wait)
			if !sleep(ctx, wait) {
				return
			}
		}
	}
}

func (r *Runner) backoff(fails int) time.Duration {
	d := r.MinBackoff
	for i := 1; i < fails && d < r.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, r.MaxBackoff)
}

// sleep waits d or until ctx is done, and reports whether to go on.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

type sourceMetrics struct {
	up, duration, lastOK *Gauge
	points, restarts     *Counter
}

func (r *Runner) metrics(name string) sourceMetrics {
	return sourceMetrics{
		up:       r.stats.Gauge(MetricSourceUp, LabelSource, name),
		duration: r.stats.Gauge(MetricSourceDuration, LabelSource, name),
		lastOK:   r.stats.Gauge(MetricSourceLastOK, LabelSource, name),
		points:   r.stats.Counter(MetricSourcePoints, LabelSource, name),
		restarts: r.stats.Counter(MetricSourceRestarts, LabelSource, name),
	}
}

func (m sourceMetrics) record(points int, err error) {
	if err != nil {
		m.up.Set(0)
		return
	}
	m.up.Set(1)
	m.points.Add(float64(points))
	m.lastOK.Set(float64(time.Now().Unix()))
}

// countingSink counts the points a Streamer writes.
type countingSink struct {
	Sink
	points *Counter
}

func (c countingSink) Write(ctx context.Context, points []Point) error {
	err := c.Sink.Write(ctx, points)
	if err == nil {
		c.points.Add(float64(len(points)))
	}
	return err
}
