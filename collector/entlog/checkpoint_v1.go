package entlog

import (
	"bytes"
	"encoding/gob"
	"fmt"
)

// checkpointV1 is the layout of version 1 checkpoints, which listed the
// engine's fields one by one (and visitor sets as key lists). It is frozen:
// migrateV1 reads it into a State, so that an upgraded entpipe continues
// where the old one stopped instead of refusing its checkpoint (a source
// that fails at start-up is restarted with backoff, for ever). Its
// indexes (classes, profiles, periods) are those of the vocabularies
// TestStateLayout records.
type checkpointV1 struct {
	Version   int
	SaltCheck Key
	Services  []string
	Files     []fileState
	Pending   []event
	MaxSeen   int64
	Clock     int64
	NextClose int64
	Running   int64
	LastSweep int64
	Minutes   map[int64]*minuteV3
	Visits    map[Key]visit
	Sets      []struct {
		Period periodKey
		Keys   []Key
		Dirty  bool
	}
}

// migrateV1 reads a version 1 checkpoint as a version 2 one (a State
// value), which decodeCheckpoint then brings to the current version.
func migrateV1(data []byte) (checkpointV3, error) {
	var old checkpointV1
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&old); err != nil {
		return checkpointV3{}, fmt.Errorf("decode version 1: %w", err)
	}
	c := newCheckpointV3()
	st := &c.State
	st.Clock, st.NextClose, st.Running, st.LastSweep = old.Clock, old.NextClose, old.Running, old.LastSweep
	st.Held = heldEvents{Events: old.Pending, MaxSeen: old.MaxSeen}
	if old.Minutes != nil {
		st.Minutes = old.Minutes
	}
	if old.Visits != nil {
		st.Visits = old.Visits
	}
	for _, set := range old.Sets {
		keys := make(keySet, len(set.Keys))
		for _, k := range set.Keys {
			keys[k] = struct{}{}
		}
		st.Sets[set.Period] = &visitorSet{Keys: keys, Dirty: set.Dirty}
	}
	c.Version, c.SaltCheck, c.Services, c.Files = 1, old.SaltCheck, old.Services, old.Files
	return c, nil
}
