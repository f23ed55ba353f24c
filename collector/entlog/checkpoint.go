package entlog

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/entpipe/entpipe/collector"
)

// checkpointVersion changes when the encoded state does: an older file is
// refused rather than misread.
const checkpointVersion = 1

// checkpoint is everything Stream needs to continue exactly where a
// durable state left off: file identities and offsets, and the whole
// aggregation state (events still in the reorder buffer, open and
// rewritable minutes, current visits, visitor sets). Identities appear only
// as salted Keys.
type checkpoint struct {
	Version   int
	SaltCheck Key // detects a changed salt, which would split every visitor in two
	Services  []string
	Files     []fileState
	Pending   []event
	MaxSeen   int64
	Clock     int64
	NextClose int64
	Running   int64
	LastSweep int64
	Minutes   map[int64]*minute
	Visits    map[Key]visit
	Sets      []savedSet
}

type savedSet struct {
	Period periodKey
	Keys   []Key
	Dirty  bool
}

func (s *Source) checkpointPath() string { return filepath.Join(s.opts.StateDir, "checkpoint.gob") }

func saltCheck(h *Hasher) Key { return h.User([]byte("\x00entpipe salt check")) }

// save replaces the checkpoint atomically: temp file, fsync, rename, fsync
// of the directory. Callers save only after sink.Flush succeeded.
func (s *Source) save(p *pipeline, f *follower) error {
	if s.opts.StateDir == "" {
		return nil
	}
	a := p.aud
	c := checkpoint{
		Version: checkpointVersion, SaltCheck: saltCheck(p.st.hasher), Services: a.w.services,
		Files: f.states(), Pending: a.buf.pending(), MaxSeen: a.buf.maxSeen,
		Clock: a.clock, NextClose: a.nextClose, Running: a.running, LastSweep: a.lastSweep,
		Minutes: a.minutes, Visits: a.visits,
	}
	for pk, set := range a.visitors.sets {
		keys := make([]Key, 0, len(set.Keys))
		for k := range set.Keys {
			keys = append(keys, k)
		}
		c.Sets = append(c.Sets, savedSet{Period: pk, Keys: keys, Dirty: set.Dirty})
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&c); err != nil {
		return fmt.Errorf("entlog %s: encode checkpoint: %w", s.name, err)
	}
	if err := writeAtomic(s.checkpointPath(), buf.Bytes()); err != nil {
		return fmt.Errorf("entlog %s: checkpoint: %w", s.name, err)
	}
	s.opts.Stats.Gauge(collector.MetricCheckpointTime, "source", s.name).Set(float64(s.now().UnixNano()) / 1e9)
	return nil
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return collector.WriteFileAtomic(path, data, 0o600)
}

// restore loads the checkpoint, if any, into a fresh pipeline and follower.
func (s *Source) restore(p *pipeline, f *follower) error {
	if s.opts.StateDir == "" {
		return nil
	}
	data, err := os.ReadFile(s.checkpointPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("entlog %s: read checkpoint: %w", s.name, err)
	}
	var c checkpoint
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&c); err != nil {
		return fmt.Errorf("entlog %s: decode checkpoint %s: %w", s.name, s.checkpointPath(), err)
	}
	switch {
	case c.Version != checkpointVersion:
		return fmt.Errorf("entlog %s: checkpoint %s has version %d, want %d", s.name, s.checkpointPath(), c.Version, checkpointVersion)
	case c.SaltCheck != saltCheck(p.st.hasher):
		return fmt.Errorf("entlog %s: checkpoint %s was written with another salt", s.name, s.checkpointPath())
	}
	a := p.aud
	a.buf.evs, a.buf.maxSeen = c.Pending, c.MaxSeen
	a.clock, a.nextClose, a.running, a.lastSweep = c.Clock, c.NextClose, c.Running, c.LastSweep
	if c.Minutes != nil {
		a.minutes = c.Minutes
	}
	if c.Visits != nil {
		a.visits = c.Visits
	}
	for _, set := range c.Sets {
		keys := make(map[Key]struct{}, len(set.Keys))
		for _, k := range set.Keys {
			keys[k] = struct{}{}
		}
		a.visitors.sets[set.Period] = &visitorSet{Keys: keys, Dirty: set.Dirty}
	}
	remapServices(a, c.Services)
	f.restore(c.Files)
	return nil
}

// remapServices moves per-service counts saved under an older services
// list onto the current one (a changed config); dropped services fold into
// autre.
func remapServices(a *audience, saved []string) {
	if slices.Equal(saved, a.w.services) {
		return
	}
	autre := slices.Index(a.w.services, ServiceOther)
	to := make([]int, len(saved))
	for i, name := range saved {
		if to[i] = slices.Index(a.w.services, name); to[i] < 0 {
			to[i] = autre
		}
	}
	n := len(a.w.services)
	for _, m := range a.minutes {
		old := m.Services
		m.Services = make([]int64, nProfiles*n)
		for p := range nProfiles {
			for i := range saved {
				m.Services[p*n+to[i]] += old[p*len(saved)+i]
			}
		}
	}
}
