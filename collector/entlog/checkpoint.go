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

// checkpointVersion changes when what a checkpoint means does: version 1
// listed the engine's fields one by one; version 2 holds the State value.
// decodeCheckpoint reads both.
const checkpointVersion = 2

// checkpoint is everything Stream needs to continue exactly where a
// durable state left off: file identities and offsets, and the engine's
// whole State (events still in the reorder buffer, open and rewritable
// minutes, current visits, visitor sets). Identities appear only as salted
// Keys.
type checkpoint struct {
	Version   int
	SaltCheck Key      // detects a changed salt, which would split every visitor in two
	Services  []string // the service vocabulary the minutes' counts are indexed by
	Files     []fileState
	State     State
}

func (s *Source) checkpointPath() string { return filepath.Join(s.opts.StateDir, "checkpoint.gob") }

func saltCheck(h *Hasher) Key { return h.User([]byte("\x00entpipe salt check")) }

// save replaces the checkpoint atomically: temp file, fsync, rename, fsync
// of the directory. Callers save only after sink.Flush succeeded.
func (s *Source) save(p *pipeline, f *follower) error {
	if s.opts.StateDir == "" {
		return nil
	}
	data, err := encodeCheckpoint(checkpoint{Version: checkpointVersion, SaltCheck: saltCheck(p.st.hasher),
		Services: p.aud.w.services, Files: f.states(), State: p.aud.st})
	if err != nil {
		return fmt.Errorf("entlog %s: encode checkpoint: %w", s.name, err)
	}
	if err := writeAtomic(s.checkpointPath(), data); err != nil {
		return fmt.Errorf("entlog %s: checkpoint: %w", s.name, err)
	}
	s.opts.Stats.Gauge(collector.MetricCheckpointTime, collector.LabelSource, s.name).Set(float64(s.now().UnixNano()) / 1e9)
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
	path := s.checkpointPath()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("entlog %s: read checkpoint: %w", s.name, err)
	}
	c, err := decodeCheckpoint(data)
	if err != nil {
		return fmt.Errorf("entlog %s: checkpoint %s: %w; to start again from start_at, move the file away (the files still in paths are read again and their buckets rewritten)", s.name, path, err)
	}
	if c.SaltCheck != saltCheck(p.st.hasher) {
		return fmt.Errorf("entlog %s: checkpoint %s was written with another salt", s.name, path)
	}
	p.aud.st = c.State
	remapServices(&p.aud.st, c.Services, p.aud.w.services)
	f.restore(c.Files)
	return nil
}

func encodeCheckpoint(c checkpoint) ([]byte, error) {
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(&c)
	return buf.Bytes(), err
}

// decodeCheckpoint reads a checkpoint of the current version, or migrates
// an older one.
func decodeCheckpoint(data []byte) (checkpoint, error) {
	c := checkpoint{State: newState()} // maps empty at save are not in the file: they stay allocated
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&c); err != nil {
		return checkpoint{}, fmt.Errorf("decode: %w", err)
	}
	switch c.Version {
	case checkpointVersion:
		return c, nil
	case 1:
		return migrateV1(data)
	}
	return checkpoint{}, fmt.Errorf("version %d, this entpipe reads versions 1 to %d (was it written by a newer entpipe?)", c.Version, checkpointVersion)
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
	for _, m := range st.Minutes {
		old := m.Services
		m.Services = make([]int64, collector.NumProfiles*n)
		for p := range collector.NumProfiles {
			for i := range saved {
				m.Services[p*n+to[i]] += old[p*len(saved)+i]
			}
		}
	}
}
