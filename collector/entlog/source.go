package entlog

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// Options are the run-time dependencies of a Source: what the process
// provides rather than what the YAML says.
type Options struct {
	Location *time.Location   // zone for lines without offset AND for Paris days; default Europe/Paris
	Salt     []byte           // secret, stable across restarts
	StateDir string           // checkpoints of this source (run mode); "" = none
	Stats    *collector.Stats // self-metrics (entpipe_lines_total{source,result}, rotations, truncations, newest event time, checkpoint time)
	Log      *slog.Logger
	Now      func() time.Time // injected clock (max_future, the watermark of silent files, intervals, warning rate limits, import duration); nil = time.Now
}

// Source is one entlog source: a set of log files of one ENT, turned into
// the ent_* measurements. Stream follows the files (`entpipe run`), Import
// reads given files once (`entpipe import`). A Source holds no state
// between calls; each call builds its own engine (Stream from the
// checkpoint). Calls must not run concurrently with the same StateDir.
type Source struct {
	name string
	cfg  Config
	opts Options
	// idle waits between polls once every file is read to its end; tests
	// replace it to act on files without sleeping.
	idle func(ctx context.Context) error
	// glob expands a path pattern (filepath.Glob); tests replace it to
	// rename files between the glob and the stat of a scan.
	glob func(pattern string) ([]string, error)
}

// New applies cfg's defaults (idempotent), validates it and opts, and
// returns a Source named name (the source label of its self-metrics).
func New(name string, cfg Config, opts Options) (*Source, error) {
	if err := collector.Check(&cfg); err != nil {
		return nil, fmt.Errorf("entlog %s: %w", name, err)
	}
	if opts.Location == nil {
		loc, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			return nil, fmt.Errorf("entlog %s: load zone: %w", name, err)
		}
		opts.Location = loc
	}
	if len(opts.Salt) == 0 {
		return nil, fmt.Errorf("entlog %s: a salt is required to hash identities", name)
	}
	if opts.Stats == nil {
		opts.Stats = collector.NewStats()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Source{name: name, cfg: cfg, opts: opts}
	s.glob = filepath.Glob
	s.idle = func(ctx context.Context) error {
		t := time.NewTimer(cfg.PollInterval)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}
	if _, err := s.newPipeline(); err != nil { // reports parse-config errors at start-up
		return nil, err
	}
	return s, nil
}

func (s *Source) now() time.Time { return s.opts.Now() }

// Stream follows the configured files like `tail -F` until ctx is done,
// resuming from the checkpoint in StateDir. A line's sums reach the sink
// within publish_interval once every file has been read to its end (the
// running totals of the open minutes are upserted), never while a backlog
// is read; visits follow once the watermark passes them (watermark.go).
// Closed buckets are written as the watermark advances; every
// checkpoint_interval, if a line was read or a file changed since the last
// checkpoint, the sink is flushed and only then is the checkpoint (offsets
// and the whole aggregation state) replaced, so a crash at any moment
// replays from a state whose points are all durable, and rewrites the same
// totals. It returns nil when ctx is done (after a last publish, flush and
// checkpoint), or the first sink or I/O error.
func (s *Source) Stream(ctx context.Context, sink collector.Sink) error {
	p, err := s.newPipeline()
	if err != nil {
		return err
	}
	f := newFollower(s)
	changed, err := s.restore(p, f)
	if err != nil {
		return err
	}
	defer f.close()
	saved := f.states()
	lastCheckpoint, lastPublish := s.now(), time.Time{}
	checkpoint := func(ctx context.Context, mode emitMode) error {
		if err := p.emit(ctx, sink, mode); err != nil {
			return err
		}
		lastCheckpoint = s.now()
		files := f.states()
		if !changed && slices.Equal(files, saved) {
			return nil // nothing read since the last checkpoint: it still holds
		}
		if err := sink.Flush(ctx); err != nil {
			return fmt.Errorf("entlog %s: flush: %w", s.name, err)
		}
		if err := s.save(p, files); err != nil {
			return err
		}
		saved, changed = files, false
		return nil
	}
	var (
		n         int
		cur       *tracked // the file being read
		others    int64    // the lowest mark of the other files when cur's read began
		hasOthers bool     // another file holds the watermark back
	)
	onLine := func(t *tracked, line []byte, tooLong bool) error {
		if tooLong {
			p.reject(ReasonTooLong, t.Path, t.Lines)
		} else if ts, ok := p.line(line, t.Path, t.Lines); ok {
			t.Newest = max(t.Newest, ts)
			if t != cur {
				cur = t
				others, hasOthers = f.complete(s.now().UnixNano(), t)
			}
			complete := t.Newest
			if hasOthers {
				complete = min(complete, others)
			}
			p.progress(complete)
		}
		if n++; n%checkEvery != 0 {
			return nil
		}
		now := s.now()
		p.refresh(now)
		if now.Sub(lastCheckpoint) >= s.cfg.CheckpointInterval {
			return checkpoint(ctx, emitClosed)
		}
		return p.emit(ctx, sink, emitClosed)
	}
	dirErr := "" // last directory reload error, logged once until it changes
	for {
		if err := p.st.profiler.Reload(); err == nil {
			dirErr = ""
		} else if err.Error() != dirErr { // the previous directory stays in use
			dirErr = err.Error()
			s.opts.Log.Warn("directory export not reloaded", "source", s.name, "err", err)
		}
		cur = nil
		p.refresh(s.now())
		err := f.poll(ctx, onLine)
		if err == nil { // every file read to its end: wall-clock progress, running totals
			now := s.now()
			if c, ok := f.complete(now.UnixNano(), nil); ok {
				p.progress(c)
			}
			// The running totals go out when the next poll would be more
			// than publish_interval after the last publish that had
			// something to say: a line waits less than publish_interval,
			// and the first line after a silence goes out at once.
			mode, written := emitClosed, p.written.Load()
			if now.Sub(lastPublish) > s.cfg.PublishInterval-s.cfg.PollInterval {
				mode = emitPartial
			}
			if now.Sub(lastCheckpoint) >= s.cfg.CheckpointInterval {
				err = checkpoint(ctx, mode)
			} else {
				err = p.emit(ctx, sink, mode)
			}
			if mode == emitPartial && p.written.Load() > written {
				lastPublish = now
			}
		}
		if err == nil {
			err = s.idle(ctx)
		}
		if ctx.Err() != nil {
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			return checkpoint(final, emitPartial)
		}
		if err != nil {
			return err
		}
	}
}

// checkEvery is how many lines pass between two looks at the clock (emit
// closed buckets, maybe checkpoint) while a long backlog is read.
const checkEvery = 1 << 14
