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
// keeps its load curve, and its breakdowns join their block when their
// minute points are not in InfluxDB yet or when the block's
// point will overwrite them (the block's first minute: same series, same
// time). The breakdowns of the block's other minutes, already written as
// minute points, stay in InfluxDB only, so that the block's point adds to
// them, not doubles them: sums over ten minutes stay exact across the
// upgrade. (A line later than reorder_window landing in a block whose
// first minute was already forgotten would overwrite that minute's points:
// only during the upgrade's first twenty minutes.)
func (old checkpointV3) upgrade() checkpoint {
	o := old.State
	st := newState()
	st.Clock, st.NextClose, st.Running, st.LastSweep = o.Clock, o.NextClose, o.Running, o.LastSweep
	st.Visits, st.Sets, st.Held, st.Totals = o.Visits, o.Sets, o.Held, o.Totals
	services := len(old.Services)
	for mi, m := range o.Minutes {
		st.Minutes[mi] = &minute{Visits: m.Visits, PageViews: m.PageViews, Delta: m.Delta, Open: m.Open, Seen: m.Seen, Dirty: m.Dirty}
		// Before version 3 only closed minutes were written, and Dirty was
		// not set by lines counted in open ones.
		written := !m.Dirty && (old.Version >= 3 || m.Closed)
		if written && mi-floorDiv(mi, blockMinutes)*blockMinutes != 0 {
			continue
		}
		b := st.block(floorDiv(mi, blockMinutes), services)
		b.Dirty = b.Dirty || !written
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
	return checkpoint{Version: old.Version, SaltCheck: old.SaltCheck, Services: old.Services, Files: old.Files, State: st}
}
