package entlog

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestReorderReleasesInOrder pushes events up to the window out of order
// and checks that each is released once, in time order, that the held
// events are exactly the State's, and that memory follows the held
// events, not the events pushed.
func TestReorderReleasesInOrder(t *testing.T) {
	const window, n = 100, 200_000
	rng := rand.New(rand.NewPCG(1, 2))
	var r reorder
	var h heldEvents
	var released []int64
	release := func(ev event) { released = append(released, ev.T) }
	maxHeld := 0
	for i := range n {
		ev := event{T: int64(i) + rng.Int64N(window)}
		r.push(&h, ev)
		h.MaxSeen = max(h.MaxSeen, ev.T)
		r.releaseBefore(&h, h.MaxSeen-window, release)
		sorted := slices.IsSortedFunc(h.Events, func(a, b event) int { return int(a.T - b.T) })
		if len(h.Events) > 2*window || !sorted {
			t.Fatalf("after %d pushes: %d events held, sorted %v", i+1, len(h.Events), sorted)
		}
		maxHeld = max(maxHeld, len(h.Events))
	}
	if cap(r.buf) > 4*maxHeld+64 {
		t.Errorf("buffer of %d events for at most %d held", cap(r.buf), maxHeld)
	}
	held := len(h.Events)
	r.releaseBefore(&h, math.MaxInt64, release)
	if len(released) != n || len(h.Events) != 0 || held == 0 || !slices.IsSorted(released) {
		t.Errorf("%d released of %d (%d held before drain), sorted %v", len(released), n, held, slices.IsSorted(released))
	}
}
