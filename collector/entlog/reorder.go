package entlog

import "sort"

// event is what the audience engine keeps of a request: the classified,
// profiled and hashed residue of one line, with no identity left but the
// salted visitor Key. It is small and pointer-free so that the reorder
// buffer and the checkpoint hold many of them cheaply.
type event struct {
	T        int64 // unix nanoseconds
	Visitor  Key   // set only for page views
	Bytes    int64
	Duration float64 // seconds, valid when HasDur
	Class    uint8   // index in classes
	Status   uint8   // index in statusClasses
	Profile  uint8   // index in collector.Profiles()
	PageView bool
	HasDur   bool
	Service  uint16 // index in the source's service vocabulary
}

// reorder is an event-time reorder buffer: events are held until the
// newest time seen is window past them, then released in time order, so
// lines interleaved up to window out of order give exactly the results of
// sorted input. Mostly sorted input costs an append; an out-of-order event
// costs a binary search and a short copy. Not safe for concurrent use.
type reorder struct {
	window  int64
	maxSeen int64
	evs     []event // sorted by T from head on
	head    int
}

func newReorder(window int64) *reorder { return &reorder{window: window} }

// push adds ev and calls release for every event that has become old
// enough, in time order.
func (r *reorder) push(ev event, release func(event)) {
	pending := r.evs[r.head:]
	if n := len(pending); n == 0 || pending[n-1].T <= ev.T {
		r.evs = append(r.evs, ev)
	} else {
		i := sort.Search(n, func(i int) bool { return pending[i].T > ev.T })
		r.evs = append(r.evs, event{})
		copy(r.evs[r.head+i+1:], r.evs[r.head+i:])
		r.evs[r.head+i] = ev
	}
	if ev.T > r.maxSeen {
		r.maxSeen = ev.T
	}
	r.releaseBefore(r.maxSeen-r.window, release)
}

// drain releases every held event (end of an import).
func (r *reorder) drain(release func(event)) {
	r.releaseBefore(int64(^uint64(0)>>1), release)
}

// releaseBefore releases the events strictly older than limit.
func (r *reorder) releaseBefore(limit int64, release func(event)) {
	for r.head < len(r.evs) && r.evs[r.head].T < limit {
		release(r.evs[r.head])
		r.head++
	}
	if r.head == len(r.evs) {
		r.evs, r.head = r.evs[:0], 0
	} else if r.head > 4096 && r.head > len(r.evs)/2 {
		r.evs = r.evs[:copy(r.evs, r.evs[r.head:])]
		r.head = 0
	}
}

// pending returns the held events (for checkpoints).
func (r *reorder) pending() []event { return r.evs[r.head:] }
