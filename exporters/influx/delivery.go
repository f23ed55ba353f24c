package influx

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// This file moves batches: the writers (direct write or spool), the
// replayer (spool to InfluxDB, in order) and the bisecting send.

// metrics are the sink's handles on the schema.go self-metrics.
type metrics struct {
	points, rejected, replays, corrupt *collector.Counter
	errors                             map[string]*collector.Counter
	spoolBytes, spoolOldest, spoolFull *collector.Gauge
}

func newMetrics(st *collector.Stats) metrics {
	m := metrics{
		points:      st.Counter(collector.MetricInfluxPoints),
		rejected:    st.Counter(collector.MetricInfluxRejected),
		replays:     st.Counter(collector.MetricSpoolReplays),
		corrupt:     st.Counter(collector.MetricSpoolCorrupt),
		errors:      map[string]*collector.Counter{},
		spoolBytes:  st.Gauge(collector.MetricSpoolBytes),
		spoolOldest: st.Gauge(collector.MetricSpoolOldest),
		spoolFull:   st.Gauge(collector.MetricSpoolFull),
	}
	for _, r := range []string{ReasonNetwork, ReasonTimeout, ReasonThrottled, ReasonServer,
		ReasonUnauthorized, ReasonNotFound, ReasonRejected, ReasonSpool} {
		m.errors[r] = st.Counter(collector.MetricInfluxErrors, "reason", r)
	}
	return m
}

// writer delivers batches until s.ctx ends, each as soon as it may start
// (startableLocked): several writers are what keeps InfluxDB busy on
// several cores while the sources encode the next batches.
func (s *Sink) writer() {
	for {
		s.mu.Lock()
		b := s.startableLocked()
		if b == nil {
			ch := s.changed
			s.mu.Unlock()
			select {
			case <-ch:
			case <-s.ctx.Done():
				return
			}
			continue
		}
		b.sending = true
		s.mu.Unlock()
		err := s.deliver(b.body)
		s.mu.Lock()
		b.sending = false
		if err == nil {
			b.durable = true
			s.queue = slices.DeleteFunc(s.queue, func(q *batch) bool { return q == b })
		}
		s.notifyLocked()
		s.mu.Unlock()
		if err != nil {
			return // s.ctx ended: b stays queued, and Close spools it
		}
	}
}

// tick cuts the batch being filled every FlushInterval while a writer is
// free, so that points do not wait longer in memory; under load batches
// fill up to BatchSize instead.
func (s *Sink) tick() {
	t := time.NewTicker(s.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.mu.Lock()
			if len(s.queue) < s.cfg.Concurrency {
				s.cutLocked()
			}
			s.mu.Unlock()
		case <-s.ctx.Done():
			return
		}
	}
}

// deliver makes body durable: straight to InfluxDB while the spool is
// empty, else (or when InfluxDB fails) to the spool. Order holds because a
// batch is delivered only once every older batch sharing one of its
// buckets is durable: then each of those is in InfluxDB, or still in the
// spool, which this batch then joins behind it. Other writers may append
// to the spool meanwhile, but only batches without a bucket in common.
func (s *Sink) deliver(body []byte) error {
	if _, records, _ := s.spool.state(); records == 0 {
		rest, err := s.send(s.ctx, body)
		if err == nil {
			return nil
		}
		if s.ctx.Err() != nil {
			return s.ctx.Err()
		}
		d := s.backoff(0, err)
		s.logRetry("influxdb write failed, spooling", err, d)
		s.mu.Lock()
		s.hold = d // the replayer waits before its first try
		s.mu.Unlock()
		body = rest
	}
	return s.appendSpool(body)
}

// appendSpool waits for room (sources pause meanwhile) and retries I/O
// errors with backoff: a batch is never dropped here.
func (s *Sink) appendSpool(body []byte) error {
	paused := false
	defer func() {
		if paused {
			s.log.Info("spool has room again, sources resume", "dir", s.spool.dir)
			s.m.spoolFull.Set(0)
		}
	}()
	for attempt := 0; ; {
		freed, err := s.spool.append(body, time.Now())
		if freed != nil {
			if !paused {
				paused = true
				// The log first: whoever sees the gauge at 1 finds the line.
				s.log.Error("spool full, sources paused until influxdb accepts the backlog", "dir", s.spool.dir, "file_bytes", s.spool.files(), "max_bytes", s.cfg.SpoolMaxSize)
				s.m.spoolFull.Set(1)
			}
			select {
			case <-freed:
				continue
			case <-s.ctx.Done():
				return s.ctx.Err()
			}
		}
		if err == nil {
			s.updateSpoolGauges()
			return nil
		}
		s.m.errors[ReasonSpool].Inc()
		s.setLastErr(err)
		d := s.backoff(attempt, err)
		attempt++
		s.log.Error("cannot append to spool, retrying", "err", err, "retry_in", d)
		if err := s.sleep(s.ctx, d); err != nil {
			return err
		}
	}
}

// replay drains the spool in order, retrying the head with backoff.
func (s *Sink) replay() {
	for {
		body, ok, appended, err := s.spool.head()
		switch {
		case err != nil:
			// Unreadable after an fsynced write: damaged on disk. Retrying
			// cannot help and would block every later batch.
			s.log.Error("spool record damaged, dropping it", "err", err)
			s.m.corrupt.Inc()
		case !ok:
			select {
			case <-appended:
				continue
			case <-s.ctx.Done():
				return
			}
		default:
			if !s.replayOne(body) {
				return
			}
			s.m.replays.Inc()
		}
		if err := s.spool.ack(); err != nil {
			s.log.Error("cannot remove drained spool segment", "err", err)
		}
		s.updateSpoolGauges()
		s.notify()
	}
}

// replayOne sends a spooled batch until InfluxDB takes it; false when
// s.ctx ended first. The first try waits out the backoff the writer chose
// when its direct write failed (a Retry-After included).
func (s *Sink) replayOne(body []byte) bool {
	s.mu.Lock()
	d := s.hold
	s.hold = 0
	s.mu.Unlock()
	attempt := 0
	if d > 0 {
		attempt = 1
	}
	for ; ; attempt++ {
		if d > 0 && s.sleep(s.ctx, d) != nil {
			return false
		}
		rest, err := s.send(s.ctx, body)
		if err == nil {
			if attempt > 0 {
				s.log.Info("influxdb accepts writes again, replaying spool")
			}
			return true
		}
		if s.ctx.Err() != nil {
			return false
		}
		body = rest
		d = s.backoff(attempt, err)
		s.logRetry("influxdb write failed, retrying spooled batch", err, d)
	}
}

// send writes body. On a retryable error it returns the suffix of body not
// yet accepted. A rejected batch (4xx other than 429) is bisected so that
// only the offending points are dropped, counted and logged.
func (s *Sink) send(ctx context.Context, body []byte) (rest []byte, err error) {
	wctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	err = s.api.WriteRecord(wctx, string(body))
	cancel()
	if err == nil {
		s.m.points.Add(float64(countLines(body)))
		return nil, nil
	}
	reason := classify(err)
	s.m.errors[reason].Inc()
	if reason != ReasonRejected {
		s.setLastErr(err)
		return body, err
	}
	first, second, serr := splitLines(body)
	if n := countLines(body); serr != nil || droppedAll(err, n) {
		// One line, or InfluxDB 1.x says it dropped every point (all
		// beyond the retention policy, say): nothing to save by bisecting.
		s.mu.Lock()
		s.rejectLocked(n, err)
		s.mu.Unlock()
		if ok, suppressed := s.rejectLog.allow(); ok {
			line, _, _ := bytes.Cut(body, []byte{'\n'})
			s.log.Warn("influxdb rejected points, dropped", "points", n, "line", string(line), "err", err, "suppressed", suppressed)
		}
		return nil, nil
	}
	if rest, err := s.send(ctx, first); err != nil {
		return body[len(first)-len(rest):], err
	}
	return s.send(ctx, second)
}

func (s *Sink) updateSpoolGauges() {
	bytes, _, oldest := s.spool.state()
	s.m.spoolBytes.Set(float64(bytes))
	if oldest.IsZero() {
		s.m.spoolOldest.Set(0)
	} else {
		s.m.spoolOldest.Set(float64(oldest.UnixNano()) / 1e9)
	}
}
