package entlog

import "github.com/entpipe/entpipe/collector"

// checkpointV3 is the layout of checkpoint versions 2 and 3 (and what
// migrateV1 makes of version 1): minutes held the breakdowns too, before
// they moved to ten-minute blocks in version 4. It is frozen, as are
// minuteV3 and stateV3: upgrade reads them into the current State.
type checkpointV3 struct {
	Version   int
	SaltCheck Key
	Services  []string
	Files     []fileState
	State     stateV3
}

// stateV3 is State as versions 2 and 3 saved it.
type stateV3 struct {
	Clock, NextClose, Running, LastSweep int64

	Minutes map[int64]*minuteV3
	Visits  map[Key]visit
	Sets    visitorSets
	Held    heldEvents
	Totals  totals
}

// minuteV3 is a minute of versions 1 to 3: its load curve and its
// breakdowns.
type minuteV3 struct {
	Visits, PageViews [collector.NumProfiles]int64
	Services          []int64
	Req               [collector.NumClasses][collector.NumStatusClasses]reqCell
	Dur               [collector.NumClasses]durCell
	Delta, Open       int64
	Seen, Closed      bool
	Dirty             bool
}

func newCheckpointV3() checkpointV3 {
	return checkpointV3{State: stateV3{Minutes: map[int64]*minuteV3{}, Visits: map[Key]visit{}, Sets: visitorSets{}}}
}

// upgrade brings a version 1 to 3 checkpoint to version 4: each minute
// keeps its load curve, and its breakdowns go where InfluxDB then holds
// them exactly once, given the minute points the old version wrote:
//
//   - the block's first minute: into the block, whose point overwrites
//     that minute's (same series, same time);
//   - a minute written since it last changed: nowhere, its minute points
//     stay in InfluxDB and the block adds to them;
//   - a minute never written (before version 3, an open minute): into the
//     block;
//   - a minute changed since it was last written, which the old version
//     may have written again after its checkpoint (run publishes open
//     minutes): into the checkpoint's legacy, written once more at its
//     minute by the first collect.
//
// Sums over the ten minutes of a block are then exact after a graceful
// stop of the old version. (After a crash, the lines it read after its
// last checkpoint are read again into blocks while their minute points
// stay; and a line later than reorder_window landing in a block whose
// first minute was already forgotten overwrites that minute's points:
// within horizon and ten minutes of the upgrade.)
func (old checkpointV3) upgrade() checkpoint {
	o := old.State
	st := newState()
	st.Clock, st.NextClose, st.Running, st.LastSweep = o.Clock, o.NextClose, o.Running, o.LastSweep
	st.Visits, st.Sets, st.Held, st.Totals = o.Visits, o.Sets, o.Held, o.Totals
	services, legacy := len(old.Services), map[int64]*block{}
	for mi, m := range o.Minutes {
		st.Minutes[mi] = &minute{Visits: m.Visits, PageViews: m.PageViews, Delta: m.Delta, Open: m.Open, Seen: m.Seen, Dirty: m.Dirty}
		// Before version 3 only closed minutes were written, and Dirty was
		// not set by lines counted in open ones.
		written := old.Version >= 3 || m.Closed
		var b *block
		switch {
		case mi%blockMinutes == 0 || !written:
			b = st.block(floorDiv(mi, blockMinutes), services)
			b.Dirty = b.Dirty || m.Dirty || !written
		case !m.Dirty:
			continue
		default:
			b = &block{Services: make([]int64, len(m.Services)), Dirty: true}
			legacy[mi] = b
		}
		b.add(m)
	}
	return checkpoint{Version: old.Version, SaltCheck: old.SaltCheck, Services: old.Services, Files: old.Files, State: st, legacy: legacy}
}

// add adds the breakdowns of an older version's minute to b.
func (b *block) add(m *minuteV3) {
	for i, n := range m.Services {
		b.Services[i] += n
	}
	for c := range b.Req {
		for s := range b.Req[c] {
			r, add := &b.Req[c][s], m.Req[c][s]
			r.Requests += add.Requests
			r.Bytes += add.Bytes
			r.DurCount += add.DurCount
			r.DurSum += add.DurSum
			r.DurMax = max(r.DurMax, add.DurMax)
		}
		d, add := &b.Dur[c], m.Dur[c]
		d.Count += add.Count
		d.Sum += add.Sum
		for i := range d.Buckets {
			d.Buckets[i] += add.Buckets[i]
		}
	}
}
