package collector

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Runner owns the goroutines of every source: it polls Gatherers at their
// interval, keeps Streamers running, restarts a failing source with
// exponential backoff, and records per-source self-metrics (up, points,
// restarts, last success). Sources are added before Run; Run blocks until
// ctx is done and every source goroutine has returned.
type Runner struct {
	sink    Sink
	stats   *Stats
	log     *slog.Logger
	sources []func(ctx context.Context)
	// MinBackoff and MaxBackoff bound the delay before a failed source is
	// tried again; the delay doubles on each consecutive failure.
	MinBackoff, MaxBackoff time.Duration
}

// NewRunner returns a Runner writing every source's points to sink.
func NewRunner(sink Sink, stats *Stats, log *slog.Logger) *Runner {
	return &Runner{sink: sink, stats: stats, log: log, MinBackoff: time.Second, MaxBackoff: time.Minute}
}

// AddGatherer schedules g every interval under name.
func (r *Runner) AddGatherer(name string, every time.Duration, g Gatherer) {
	m := r.metrics(name)
	r.sources = append(r.sources, func(ctx context.Context) {
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
	})
}

func (r *Runner) gatherOnce(ctx context.Context, g Gatherer, m sourceMetrics) error {
	points, err := g.Gather(ctx)
	if err == nil && len(points) > 0 {
		err = r.sink.Write(ctx, points)
	}
	m.record(len(points), err)
	return err
}

// AddStreamer runs s under name until Run's ctx is done, restarting it with
// backoff whenever it returns early.
func (r *Runner) AddStreamer(name string, s Streamer) {
	m := r.metrics(name)
	r.sources = append(r.sources, func(ctx context.Context) {
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
	})
}

// Run starts every source and waits for them to return after ctx is done.
func (r *Runner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, run := range r.sources {
		wg.Go(func() { run(ctx) })
	}
	wg.Wait()
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
		up:       r.stats.Gauge(MetricSourceUp, "source", name),
		duration: r.stats.Gauge(MetricSourceDuration, "source", name),
		lastOK:   r.stats.Gauge(MetricSourceLastOK, "source", name),
		points:   r.stats.Counter(MetricSourcePoints, "source", name),
		restarts: r.stats.Counter(MetricSourceRestarts, "source", name),
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
