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

	legacy map[int64]*block // from an upgrade (checkpointV3.upgrade); not saved
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
	p.aud.st, p.aud.legacy = c.State, c.legacy
	remapServices(c.Services, p.aud.w.services, p.aud.st.Blocks, p.aud.legacy)
	f.restore(c.Files)
	changed := c.Version != checkpointVersion
	if limit := s.now().UnixNano() + int64(s.cfg.MaxFuture); p.aud.st.dropFuture(limit) {
		maps.DeleteFunc(p.aud.legacy, func(mi int64, _ *block) bool { return mi*minuteNanos > limit })
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
	maps.DeleteFunc(st.Minutes, func(mi int64, _ *minute) bool { return mi*minuteNanos > limit })
	maps.DeleteFunc(st.Blocks, func(bi int64, _ *block) bool { return bi*blockNanos > limit })
	maps.DeleteFunc(st.Visits, func(_ Key, v visit) bool { return v.Last > limit })
	maps.DeleteFunc(st.Sets, func(pk periodKey, _ *visitorSet) bool { return pk.Start > limit })
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
	c := checkpoint{State: newState()} // maps empty at save are not in the file: they stay allocated
	err := gob.NewDecoder(bytes.NewReader(data)).Decode(&c)
	if err == nil && c.Version == checkpointVersion {
		return c, nil
	}
	version := c.Version // an older layout decodes, its fields in part
	if err != nil {      // a layout this version cannot read: its version says why
		var head struct{ Version int }
		if gob.NewDecoder(bytes.NewReader(data)).Decode(&head) != nil || head.Version == checkpointVersion {
			return checkpoint{}, fmt.Errorf("decode: %w", err)
		}
		version = head.Version
	}
	old := newCheckpointV3()
	switch version {
	case 3, 2:
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&old); err != nil {
			return checkpoint{}, fmt.Errorf("decode version %d: %w", version, err)
		}
	case 1:
		var err error
		if old, err = migrateV1(data); err != nil {
			return checkpoint{}, err
		}
	default:
		return checkpoint{}, fmt.Errorf("version %d, this entpipe reads versions 1 to %d (was it written by a newer entpipe?)", version, checkpointVersion)
	}
	c = old.upgrade()
	if version < 3 {
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
func remapServices(saved, current []string, blocks ...map[int64]*block) {
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
	for _, m := range blocks {
		for _, b := range m {
			old := b.Services
			b.Services = make([]int64, collector.NumProfiles*n)
			for p := range collector.NumProfiles {
				for i := range saved {
					b.Services[p*n+to[i]] += old[p*len(saved)+i]
				}
			}
		}
	}
}
