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
	Class    uint8   // index in collector.Classes()
	Status   uint8   // index in collector.StatusClasses()
	Profile  uint8   // index in collector.Profiles()
	PageView bool
	HasDur   bool
	Service  uint16 // index in the source's service vocabulary
}

// reorder is an event-time reorder buffer over a State's heldEvents: page
// views are held until the engine's watermark passes them, then released
// in time order, so the visits of lines interleaved out of order (several
// files, a server that buffers its log) are exactly those of sorted input.
// Mostly sorted input costs an append; an out-of-order event costs a
// binary search and a short copy. Not safe for concurrent use.
//
// The held events are exactly the State's Events slice, which slides
// forward in its backing array as events are released; buf is only where
// it moves when it reaches the array's end, so the reorder keeps no state
// of its own.
type reorder struct {
	buf []event
}

// push holds ev until releaseBefore passes it.
func (r *reorder) push(h *heldEvents, ev event) {
	r.room(h)
	evs := h.Events
	if n := len(evs); n == 0 || evs[n-1].T <= ev.T {
		evs = append(evs, ev)
	} else {
		i := sort.Search(n, func(i int) bool { return evs[i].T > ev.T })
		evs = append(evs, event{})
		copy(evs[i+1:], evs[i:])
		evs[i] = ev
	}
	h.Events = evs
}

// releaseBefore releases the events strictly older than limit, in time
// order.
func (r *reorder) releaseBefore(h *heldEvents, limit int64, release func(event)) {
	n := 0
	for n < len(h.Events) && h.Events[n].T < limit {
		release(h.Events[n])
		n++
	}
	h.Events = h.Events[n:]
}

// room makes space for one more event without growing over released
// ones: when Events has reached the end of its array, it moves to the
// start of buf if buf is at least about twice its length, else into a new
// buf twice its length. Each move is followed by at least as many pushes
// as events moved, so an event is copied a constant number of times.
func (r *reorder) room(h *heldEvents) {
	evs := h.Events
	if len(evs) < cap(evs) {
		return
	}
	if len(r.buf) < 2*len(evs)+1 {
		r.buf = make([]event, 2*len(evs)+64)
	}
	h.Events = r.buf[:copy(r.buf, evs)]
}
