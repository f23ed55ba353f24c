package influx

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"

	"github.com/entpipe/entpipe/collector"
)

// Options are the process-level dependencies of a Sink. DataDir is
// required; a nil Stats or Log gives private metrics and no logs.
type Options struct {
	DataDir string           // spool in SpoolDir(DataDir)
	Stats   *collector.Stats // entpipe_influx_* and entpipe_spool_* names from collector/schema.go
	Log     *slog.Logger
}

// SpoolDir returns the spool directory of a Sink whose Options.DataDir is
// dataDir, for the messages that name it.
func SpoolDir(dataDir string) string {
	return filepath.Join(dataDir, "spool")
}

// ErrClosed is returned by Write and Flush after Close.
var ErrClosed = errors.New("influx: sink closed")

// Sink is the collector.Sink that stores points in InfluxDB. Write encodes
// points to line protocol at once (it keeps no reference to them) and cuts
// batches of BatchSize points, or every FlushInterval. Concurrency writer
// goroutines deliver the batches, each to InfluxDB, or, when InfluxDB fails
// or the spool already holds older batches, to the disk spool; a replayer
// goroutine drains the spool in order with backoff. A batch is durable once
// accepted or fsynced to the spool, which is what Flush waits for.
//
// Bucket totals are upserts, so the rule that keeps InfluxDB right is
// order, per bucket (series and time): a batch starts only once every older
// batch that writes one of its buckets is durable (order.go), and no batch
// overtakes a spooled one. Batches without a bucket in common, the usual
// case (an import's minutes follow one another), are written at once, up to
// Concurrency at a time: that is what lets InfluxDB use several cores.
//
// All methods are safe for concurrent use. Close must be called to release
// the goroutines and files.
type Sink struct {
	cfg    Config
	log    *slog.Logger
	m      metrics
	client influxdb2.Client
	api    api.WriteAPIBlocking
	spool  *spool
	sleep  func(context.Context, time.Duration) error

	ctx  context.Context // ends the goroutines
	stop context.CancelFunc
	wg   sync.WaitGroup

	rejectLog, retryLog rateLimit
	seed                maphash.Seed // of bucket keys

	mu          sync.Mutex
	buf         []byte   // line protocol of the batch being filled
	bufKeys     []uint64 // its bucket keys, one per point
	queue       []*batch // cut, not yet durable, oldest first
	seq         uint64   // of the last cut batch
	changed     chan struct{}
	closed      bool
	lastErr     error         // last failure to deliver, for Flush and Close errors
	hold        time.Duration // backoff after a failed direct write, for the replayer
	rejected    int64         // points refused, by InfluxDB or the encoder
	firstReject string        // why the first of them was refused
}

// batch is a cut run of encoded points, from the cut until it is durable.
type batch struct {
	body     []byte
	n        int
	seq      uint64
	keys     []uint64 // bucket keys of its points, sorted
	blockers []*batch // older batches, not durable at the cut, that share a bucket with it
	sending  bool     // a writer is delivering it
	durable  bool
}

// New checks cfg (applying defaults), opens the spool in
// opts.DataDir/spool and starts the background goroutines. Batches left in
// the spool by a previous run are replayed before any new one.
func New(cfg Config, opts Options) (*Sink, error) {
	return newSink(cfg, opts, sleepCtx)
}

func newSink(cfg Config, opts Options, sleep func(context.Context, time.Duration) error) (*Sink, error) {
	cfg.ApplyDefaults()
	p := collector.NewProblems()
	cfg.Validate(p)
	if opts.DataDir == "" {
		p.Addf("data directory for the spool is not set")
	}
	if err := p.Err(); err != nil {
		return nil, fmt.Errorf("influx: invalid configuration:\n%w", err)
	}
	token, err := cfg.Token()
	if err != nil {
		return nil, fmt.Errorf("influx: token: %w", err)
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	stats := opts.Stats
	if stats == nil {
		stats = collector.NewStats()
	}
	m := newMetrics(stats)
	sp, err := openSpool(SpoolDir(opts.DataDir), cfg.SpoolMaxSize, log, m.corrupt)
	if err != nil {
		return nil, fmt.Errorf("influx: %w", err)
	}
	clientOpts := influxdb2.DefaultOptions().
		SetUseGZip(cfg.GZip).
		SetHTTPRequestTimeout(uint(math.Ceil(cfg.Timeout.Seconds())))
	client := influxdb2.NewClientWithOptions(cfg.URL, token, clientOpts)
	s := &Sink{
		cfg: cfg, log: log, m: m, client: client,
		api: client.WriteAPIBlocking(cfg.Org, cfg.Bucket), spool: sp, sleep: sleep,
		rejectLog: rateLimit{every: 10 * time.Second}, retryLog: rateLimit{every: 30 * time.Second},
		seed: maphash.MakeSeed(), changed: make(chan struct{}),
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	if bytes, records, _ := sp.state(); records > 0 {
		log.Info("replaying spool left by a previous run", "dir", sp.dir, "batches", records, "bytes", bytes)
	}
	s.updateSpoolGauges()
	for range cfg.Concurrency {
		s.wg.Go(s.writer)
	}
	s.wg.Go(s.tick)
	s.wg.Go(s.replay)
	return s, nil
}

// Write encodes points into the current batch. It blocks while
// Concurrency+1 cut batches are not durable yet (InfluxDB slow and spool
// full), until ctx ends. A point that cannot be encoded is counted as
// rejected and reported in the returned error; the other points are kept.
func (s *Sink) Write(ctx context.Context, points []collector.Point) error {
	var bad []error
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range points {
		if len(s.bufKeys) == 0 {
			if err := s.waitLocked(ctx, func() bool { return s.closed || len(s.queue) <= s.cfg.Concurrency }); err != nil {
				return fmt.Errorf("influx write: %w", err)
			}
		}
		if s.closed {
			return ErrClosed
		}
		before := len(s.buf)
		if len(s.bufKeys) > 0 {
			s.buf = append(s.buf, '\n')
		}
		line := len(s.buf)
		var err error
		if s.buf, err = collector.AppendLine(s.buf, p); err != nil {
			s.buf = s.buf[:before]
			s.rejectLocked(1, err)
			bad = append(bad, err)
			continue
		}
		s.bufKeys = append(s.bufKeys, bucketKey(s.seed, s.buf[line:]))
		if len(s.bufKeys) >= s.cfg.BatchSize {
			s.cutLocked()
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("influx write: %d point(s) dropped: %w", len(bad), errors.Join(bad...))
	}
	return nil
}

// Flush cuts the current batch and returns once every point written before
// the call is durable (in InfluxDB or fsynced to the spool), or ctx ends.
func (s *Sink) Flush(ctx context.Context) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return s.flush(ctx)
}

func (s *Sink) flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cutLocked()
	target := s.seq
	if err := s.waitLocked(ctx, func() bool { return len(s.queue) == 0 || s.queue[0].seq > target }); err != nil {
		if s.lastErr != nil {
			return fmt.Errorf("influx flush: %w (last delivery error: %v)", err, s.lastErr)
		}
		return fmt.Errorf("influx flush: %w", err)
	}
	return nil
}

// Close flushes, then waits until the spool is drained into InfluxDB
// (retrying with backoff) or ctx ends, and stops the goroutines. When ctx
// ends first, every batch not yet in InfluxDB (spooled or still in memory)
// stays in the spool for the next run, and the error says how many.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.notifyLocked() // wake blocked writers: they return ErrClosed
	s.mu.Unlock()
	err := s.flush(ctx)
	if err == nil {
		err = s.drain(ctx)
	}
	s.stop()
	s.wg.Wait()
	lost, spoolErr := 0, error(nil)
	if err != nil {
		lost, spoolErr = s.spoolLeftovers()
	}
	bytes, records, _ := s.spool.state()
	s.spool.close()
	s.client.Close()
	if err == nil {
		return nil
	}
	if lost > 0 {
		err = fmt.Errorf("%w; %d point(s) neither written nor spooled (%v): never durable, so log sources read them again from their checkpoints, polled samples in them are lost, an import must be run again", err, lost, spoolErr)
	}
	return fmt.Errorf("influx close: %d batch(es) (%d bytes) stay in spool %s for the next run: %w",
		records, bytes, s.spool.dir, err)
}

// spoolLeftovers appends the batches still in memory after the goroutines
// stopped (InfluxDB too slow for Close's ctx) behind the spool, so that the
// next run delivers them, while the spool's bound allows: it holds at
// shutdown too. It returns the points it could not append, from the first
// batch that did not fit or failed on: those were never durable, so no log
// source has checkpointed past them (`entpipe run` reads them again, the
// samples of polled sources in them are lost; an import says so and exits
// 1).
func (s *Sink) spoolLeftovers() (lost int, err error) {
	s.mu.Lock()
	s.cutLocked()
	left := s.queue // in the order of the cuts: each batch after the older ones it shares buckets with
	s.queue = nil
	s.mu.Unlock()
	for i, b := range left {
		if full, appendErr := s.spool.append(b.body, time.Now()); full != nil {
			err = fmt.Errorf("spool %s is full (spool_max_size %d bytes)", s.spool.dir, s.cfg.SpoolMaxSize)
		} else {
			err = appendErr
		}
		if err != nil {
			for _, b := range left[i:] {
				lost += b.n
			}
			return lost, err
		}
	}
	return 0, nil
}

// drain waits until the replayer has emptied the spool.
func (s *Sink) drain(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.waitLocked(ctx, func() bool { _, records, _ := s.spool.state(); return records == 0 })
	if err != nil && s.lastErr != nil {
		return fmt.Errorf("drain spool: %w (last delivery error: %v)", err, s.lastErr)
	}
	return err
}

// cutLocked moves the current batch to the queue of the writers, noting
// the older batches it must wait for.
func (s *Sink) cutLocked() {
	if len(s.bufKeys) == 0 {
		return
	}
	s.seq++
	b := &batch{body: s.buf, n: len(s.bufKeys), seq: s.seq, keys: s.bufKeys}
	slices.Sort(b.keys)
	for _, older := range s.queue {
		if overlap(older.keys, b.keys) {
			b.blockers = append(b.blockers, older)
		}
	}
	s.queue = append(s.queue, b)
	s.buf = make([]byte, 0, len(s.buf)+len(s.buf)/8)
	s.bufKeys = make([]uint64, 0, cap(b.keys))
	s.notifyLocked()
}

// rejectLocked counts n points refused, by InfluxDB or the encoder, and
// keeps the reason of the first refusal for Rejected.
func (s *Sink) rejectLocked(n int, err error) {
	s.m.rejected.Add(float64(n))
	if s.rejected == 0 {
		s.firstReject = err.Error()
	}
	s.rejected += int64(n)
}

// Rejected returns how many points were refused since New — by InfluxDB
// (a 4xx answer other than 429: the batch is bisected down to them), or by
// the encoder — and the reason given for the first of them. They are
// dropped: `entpipe import` reports them and fails.
func (s *Sink) Rejected() (points int64, first string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected, s.firstReject
}

// waitLocked waits, releasing s.mu, until cond holds or ctx ends.
func (s *Sink) waitLocked(ctx context.Context, cond func() bool) error {
	for !cond() {
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			s.mu.Lock()
			return ctx.Err()
		}
		s.mu.Lock()
	}
	return nil
}

// notifyLocked wakes every waiter to re-check its condition.
func (s *Sink) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Sink) notify() {
	s.mu.Lock()
	s.notifyLocked()
	s.mu.Unlock()
}

func (s *Sink) setLastErr(err error) {
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
