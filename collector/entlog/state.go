package entlog

import (
	"fmt"

	"github.com/entpipe/entpipe/collector"
)

// State is the audience engine's whole mutable state, as one value: what a
// checkpoint saves and a restart restores. The engine's other parts keep
// only configuration and caches rebuilt at start (the horizon, the
// calendar, the point writer), so a field added here is checkpointed and
// restored with no change to the checkpoint code, and state kept anywhere
// else is a bug. TestStateRoundTrip fills every field by reflection and
// checks that a checkpoint gives it back.
//
// A new field must be exported (gob encodes only exported fields) and of a
// gob-encodable type: no func, channel or interface; maps keyed by structs
// and pointer values round-trip (a set of keys is a keySet). Its zero value
// must be a correct start: newState allocates only empty maps, and gob
// leaves zero values out of the file, so a checkpoint written before the
// field existed restores it as zero. When that would misread an older
// checkpoint, bump checkpointVersion and migrate; TestStateLayout fails
// whenever the layout or the vocabularies it indexes change, as a
// reminder.
//
// Times are unix nanoseconds of event time; minutes are minute indexes
// (unix nanoseconds / 1 min), blocks ten-minute indexes; profiles, classes, status classes and
// periods are indexes in collector's vocabularies.
type State struct {
	Clock     int64 // the watermark: page views before it are applied, minutes before it closed
	NextClose int64 // first minute not yet closed; 0 until the first watermark advance or finish
	Running   int64 // open visits at the end of minute NextClose-1
	LastSweep int64 // minute of the last eviction of old visits

	Minutes map[int64]*minute // closed minutes still rewritable, and open ones
	Blocks  map[int64]*block  // the same for ten-minute blocks (index: unix nanoseconds / 10 min)
	Visits  map[Key]visit     // each recent visitor's current visit
	Sets    visitorSets       // exact visitor sets of the periods still rewritable

	Held heldEvents // the reorder buffer's page views, whose visits are not applied yet

	Totals totals // since the engine started, for the import summary
}

// newState returns an empty state: empty maps, every other field zero.
func newState() State {
	return State{Minutes: map[int64]*minute{}, Blocks: map[int64]*block{}, Visits: map[Key]visit{}, Sets: visitorSets{}}
}

// minute returns the bucket of minute index mi, creating it.
func (st *State) minute(mi int64) *minute {
	m := st.Minutes[mi]
	if m == nil {
		m = &minute{}
		st.Minutes[mi] = m
	}
	return m
}

// block returns the block of index bi, creating it with room for services
// per-service counts per profile.
func (st *State) block(bi int64, services int) *block {
	b := st.Blocks[bi]
	if b == nil {
		b = &block{Services: make([]int64, collector.NumProfiles*services)}
		st.Blocks[bi] = b
	}
	return b
}

// count adds an event's sums to its minute and block, and returns the
// minute.
func (st *State) count(ev *event, bounds []float64, services int) *minute {
	m := st.minute(floorDiv(ev.T, minuteNanos))
	m.count(ev)
	st.block(floorDiv(ev.T, blockNanos), services).count(ev, bounds, services)
	return m
}

// heldEvents are the page views the reorder buffer holds, sorted by time
// (their sums are already in their minutes: only their visits wait), and
// the newest event time seen, page view or not.
type heldEvents struct {
	Events  []event
	MaxSeen int64
}

// totals count what the engine applied since it started.
type totals struct {
	PageViews, Visits int64
	Visitors          keySet // every visitor, when not nil (import: run does not keep them)
}

// keySet is a set of visitor keys. It encodes as its keys end to end
// (gob cannot encode struct{} values), 16 bytes each: a set is its
// elements, so its encoding has no field to forget.
type keySet map[Key]struct{}

// GobEncode implements gob.GobEncoder.
func (s keySet) GobEncode() ([]byte, error) {
	b := make([]byte, 0, len(s)*len(Key{}))
	for k := range s {
		b = append(b, k[:]...)
	}
	return b, nil
}

// GobDecode implements gob.GobDecoder.
func (s *keySet) GobDecode(b []byte) error {
	if len(b)%len(Key{}) != 0 {
		return fmt.Errorf("key set of %d bytes, not a multiple of %d", len(b), len(Key{}))
	}
	set := make(keySet, len(b)/len(Key{}))
	for ; len(b) > 0; b = b[len(Key{}):] {
		set[Key(b[:len(Key{})])] = struct{}{}
	}
	*s = set
	return nil
}
