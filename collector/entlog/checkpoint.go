package entlog

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// checkpointVersion changes when what a checkpoint means does: version 1
// listed the engine's fields one by one; version 2 holds the State value;
// in version 3 the reorder buffer holds only page views, whose sums are
// already counted, and files record their newest line; in version 4 the
// breakdowns are in ten-minute blocks, no longer in minutes.
// decodeCheckpoint reads all four.
const checkpointVersion = 4

// checkpoint is everything Stream needs to continue exactly where a
// durable state left off: file identities and offsets, and the engine's
// whole State (page views still in the reorder buffer, open and rewritable
// minutes and blocks, current visits, visitor sets). Identities appear only as salted
// Keys.
type checkpoint struct {
	Version   int
	SaltCheck Key      // detects a changed salt, which would split every visitor in two
	Services  []string // the service vocabulary the blocks' counts are indexed by
	Files     []fileState
	State     State
}

func (s *Source) checkpointPath() string { return filepath.Join(s.opts.StateDir, "checkpoint.gob") }

func saltCheck(h *Hasher) Key { return h.User([]byte("\x00entpipe salt check")) }

// save replaces the checkpoint atomically (temp file, fsync, rename, fsync
// of the directory) with the engine's State and files. Callers save only
// after sink.Flush succeeded.
func (s *Source) save(p *pipeline, files []fileState) error {
	if s.opts.StateDir == "" {
		return nil
	}
	data, err := encodeCheckpoint(checkpoint{Version: checkpointVersion, SaltCheck: saltCheck(p.st.hasher),
		Services: p.aud.w.services, Files: files, State: p.aud.st})
	if err != nil {
		return fmt.Errorf("entlog %s: encode checkpoint: %w", s.name, err)
	}
	if err := writeAtomic(s.checkpointPath(), data); err != nil {
		return fmt.Errorf("entlog %s: checkpoint: %w", s.name, err)
	}
	s.checkpointTime(s.now())
	return nil
}

// checkpointTime sets entpipe_checkpoint_timestamp_seconds: the time of the
// last checkpoint on disk, written by this process or found at start.
func (s *Source) checkpointTime(t time.Time) {
	s.opts.Stats.Gauge(collector.MetricCheckpointTime, collector.LabelSource, s.name).Set(float64(t.UnixNano()) / 1e9)
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return collector.WriteFileAtomic(path, data, 0o600)
}

// restore loads the checkpoint, if any, into a fresh pipeline and
// follower. It reports whether the restored state differs from the file
// (an older version migrated, a wedged state repaired), which the next
// checkpoint must then rewrite.
func (s *Source) restore(p *pipeline, f *follower) (bool, error) {
	if s.opts.StateDir == "" {
		return false, nil
	}
	path := s.checkpointPath()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("entlog %s: read checkpoint: %w", s.name, err)
	}
	c, err := decodeCheckpoint(data)
	if err != nil {
		return false, fmt.Errorf("entlog %s: checkpoint %s: %w; to start again from start_at, move the file away (the files still in paths are read again and their buckets rewritten)", s.name, path, err)
	}
	if c.SaltCheck != saltCheck(p.st.hasher) {
		return false, fmt.Errorf("entlog %s: checkpoint %s was written with another salt", s.name, path)
	}
	if fi, err := os.Stat(path); err == nil {
		s.checkpointTime(fi.ModTime())
	}
	p.aud.st = c.State
	remapServices(&p.aud.st, c.Services, p.aud.w.services)
	f.restore(c.Files)
	changed := c.Version != checkpointVersion
	if limit := s.now().UnixNano() + int64(s.cfg.MaxFuture); p.aud.st.dropFuture(limit) {
		for _, t := range f.files {
			if t.Newest > limit {
				t.Newest = 0
			}
		}
		s.opts.Log.Warn("checkpoint held lines stamped in the future: event time starts again from the next lines; visitor sets of periods it had closed restart empty",
			"source", s.name, "checkpoint", path, "max_future", s.cfg.MaxFuture)
		changed = true
	}
	return changed, nil
}

// dropFuture repairs a State that lines stamped after limit (the wall
// clock plus max_future) moved ahead: entpipe before max_future existed
// accepted such lines, and its watermark then made every later line too
// late, after a restart too. Held page views, minutes, visits and visitor
// sets after limit are dropped and the watermark starts again from the
// lines that come next. It reports whether the State was wedged.
func (st *State) dropFuture(limit int64) bool {
	if st.Clock <= limit && st.Held.MaxSeen <= limit {
		return false
	}
	kept := st.Held.Events[:0]
	st.Held.MaxSeen = 0
	for _, ev := range st.Held.Events {
		if ev.T <= limit {
			kept = append(kept, ev)
			st.Held.MaxSeen = max(st.Held.MaxSeen, ev.T)
		}
	}
	st.Held.Events = kept
	for mi := range st.Minutes {
		if mi*minuteNanos > limit {
			delete(st.Minutes, mi)
		}
	}
	for bi := range st.Blocks {
		if bi*blockNanos > limit {
			delete(st.Blocks, bi)
		}
	}
	for mi := range st.Legacy {
		if mi*minuteNanos > limit {
			delete(st.Legacy, mi)
		}
	}
	for k, v := range st.Visits {
		if v.Last > limit {
			delete(st.Visits, k)
		}
	}
	for pk := range st.Sets {
		if pk.Start > limit {
			delete(st.Sets, pk)
		}
	}
	st.Clock, st.NextClose, st.Running, st.LastSweep = 0, 0, 0, 0
	return true
}

func encodeCheckpoint(c checkpoint) ([]byte, error) {
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(&c)
	return buf.Bytes(), err
}

// decodeCheckpoint reads a checkpoint of the current version, or migrates
// an older one; Version stays the version read.
func decodeCheckpoint(data []byte) (checkpoint, error) {
	var head struct{ Version int }
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&head); err != nil {
		return checkpoint{}, fmt.Errorf("decode: %w", err)
	}
	old := newCheckpointV3()
	switch head.Version {
	case checkpointVersion:
		c := checkpoint{State: newState()} // maps empty at save are not in the file: they stay allocated
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&c); err != nil {
			return checkpoint{}, fmt.Errorf("decode: %w", err)
		}
		return c, nil
	case 3, 2:
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&old); err != nil {
			return checkpoint{}, fmt.Errorf("decode version %d: %w", head.Version, err)
		}
	case 1:
		var err error
		if old, err = migrateV1(data); err != nil {
			return checkpoint{}, err
		}
	default:
		return checkpoint{}, fmt.Errorf("version %d, this entpipe reads versions 1 to %d (was it written by a newer entpipe?)", head.Version, checkpointVersion)
	}
	c := old.upgrade()
	if head.Version < 3 {
		countHeld(&c.State, len(c.Services))
	}
	return c, nil
}

// countHeld brings the reorder buffer of a version 1 or 2 State to version
// 3: those versions held every event with nothing counted yet; version 3
// counts a line's sums when it is read and holds only page views, for
// their visits.
func countHeld(st *State, services int) {
	bounds := collector.DurationBuckets()
	kept := st.Held.Events[:0]
	for _, ev := range st.Held.Events {
		st.count(&ev, bounds, services)
		if ev.PageView {
			st.Totals.PageViews++
			kept = append(kept, ev)
		}
	}
	st.Held.Events = kept
}

// remapServices moves per-service counts saved under an older services
// list onto the current one (a changed config); dropped services fold into
// autre.
func remapServices(st *State, saved, current []string) {
	if slices.Equal(saved, current) {
		return
	}
	autre := slices.Index(current, ServiceOther)
	to := make([]int, len(saved))
	for i, name := range saved {
		if to[i] = slices.Index(current, name); to[i] < 0 {
			to[i] = autre
		}
	}
	n := len(current)
	for _, b := range slices.Concat(slices.Collect(maps.Values(st.Blocks)), slices.Collect(maps.Values(st.Legacy))) {
		old := b.Services
		b.Services = make([]int64, collector.NumProfiles*n)
		for p := range collector.NumProfiles {
			for i := range saved {
				b.Services[p*n+to[i]] += old[p*len(saved)+i]
			}
		}
	}
}
