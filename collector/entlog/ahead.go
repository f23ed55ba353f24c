package entlog

import "slices"

// aheadGuard keeps a line stamped far ahead of the lines around it (a
// server whose clock jumped, a mistyped year) from moving an import's
// event time: once event time had moved to it, every later line would be
// too late. A line more than limit ahead of the newest line accepted so
// far is held; when a later line comes back within limit, the held lines
// are rejected (result future); when confirm lines in a row are ahead (the
// log really jumped: a night without traffic, the next day's file), they
// are accepted in order. The first lines of an import are held until
// confirm of them (or the end of the input) give the reference: their
// median time, so that the first line may be the wrong one too. `run` has
// the wall clock instead (pipeline.line). Not safe for concurrent use.
type aheadGuard struct {
	limit   int64 // max_future
	confirm int
	ref     int64 // newest accepted time; 0 before the reference is known
	held    []guardedLine
}

// guardedLine is a parsed line waiting for the guard's decision, with what
// the pipeline needs to count it.
type guardedLine struct {
	ev      event
	unknown bool // raw profile outside the aliases
	file    string
	lineNo  int64
}

// aheadConfirm is how many lines in a row ahead of the others make a jump
// of the log rather than a bad clock.
const aheadConfirm = 64

// pass is the fast path: it reports whether a line at t is accepted at
// once (nothing held, t not ahead), taking it as the newest accepted.
func (g *aheadGuard) pass(t int64) bool {
	if g.ref == 0 || len(g.held) > 0 || t > g.ref+g.limit {
		return false
	}
	g.ref = max(g.ref, t)
	return true
}

// push decides about l: accept is called for every line accepted, in
// arrival order, reject for every line found ahead of the lines around it.
func (g *aheadGuard) push(l guardedLine, accept, reject func(guardedLine)) {
	if g.ref != 0 && l.ev.T <= g.ref+g.limit {
		for _, h := range g.held {
			reject(h)
		}
		g.held = g.held[:0]
		g.ref = max(g.ref, l.ev.T)
		accept(l)
		return
	}
	g.held = append(g.held, l)
	if len(g.held) < g.confirm {
		return
	}
	if g.ref == 0 {
		g.start(accept, reject)
		return
	}
	g.acceptHeld(accept)
}

// flush decides the lines still held at the end of the input: nothing came
// back after them, so they are accepted.
func (g *aheadGuard) flush(accept, reject func(guardedLine)) {
	if g.ref == 0 && len(g.held) > 0 {
		g.start(accept, reject)
	}
	g.acceptHeld(accept)
}

// start takes the median time of the held first lines as the reference and
// decides them again against it, in their order.
func (g *aheadGuard) start(accept, reject func(guardedLine)) {
	held := slices.Clone(g.held)
	times := make([]int64, len(held))
	for i, h := range held {
		times[i] = h.ev.T
	}
	slices.Sort(times)
	g.ref, g.held = times[len(times)/2], g.held[:0]
	for _, h := range held {
		g.push(h, accept, reject)
	}
}

func (g *aheadGuard) acceptHeld(accept func(guardedLine)) {
	for _, h := range g.held {
		g.ref = max(g.ref, h.ev.T)
		accept(h)
	}
	g.held = g.held[:0]
}
