package entlog

import (
	"maps"
	"math"
	"slices"
	"time"

	"github.com/entpipe/entpipe/collector"
)

const visitGap = int64(30 * time.Minute) // docs/design.md#audience-definitions, rule 4

// visit is a visitor's current visit: its first and last page views and
// its Paris day. Part of State: fields are exported for the checkpoint
// encoder.
type visit struct {
	Start, Last int64
	Day         int64 // start of the Paris day
	Profile     uint8
}

// audience is the aggregation engine: it turns events, in any order within
// the reorder window, into minute buckets, ten-minute blocks, visits, open
// visits and exact visitor sets, and renders the buckets that changed as points. Everything
// it changes is in st, one State value (what a checkpoint holds); its
// other fields are configuration and caches. Not safe for concurrent use:
// one per source goroutine.
//
// Time model (docs/design.md#the-audience-engine-and-its-state): what does
// not depend on the order of lines is counted as soon as a line is read
// (add): requests, bytes, durations, page views by profile and service.
// What does — visits (30-minute gap, Paris day), open visits, visitor sets
// (a visitor counts under the profile of their first page view) — waits in
// the reorder buffer until the watermark st.Clock passes the page view, and
// is applied in time order (advance). The caller moves the watermark: the
// newest line read less reorder_window in an import; each file's progress
// and the wall clock in run (watermark.go). A minute is closed once the
// watermark passes its end: its open visits are final. A line older than
// the watermark (later than the reorder window allows) still counts in its
// minute and visitor sets while it is within horizon of the watermark, and
// its visit is approximated; an older one is too late.
type audience struct {
	horizon int64
	cal     calendar
	w       *pointWriter
	bounds  []float64 // collector.DurationBuckets()
	buf     reorder

	st State
	// legacy are breakdowns to write once at their minute after an
	// upgrade from a version 3 checkpoint (checkpointV3.upgrade). Not in
	// State: the first collect writes them, and no checkpoint is saved
	// before that collect's points are durable.
	legacy map[int64]*block
}

func newAudience(w *pointWriter, loc *time.Location, horizon time.Duration) *audience {
	return &audience{
		horizon: int64(horizon),
		cal:     newCalendar(loc),
		w:       w,
		bounds:  collector.DurationBuckets(),
		st:      newState(),
	}
}

// add counts one event as it is read and holds a page view until the
// watermark passes it. It reports false, counting nothing, when the event
// is too late: more than horizon before the watermark.
func (a *audience) add(ev event) bool {
	st := &a.st
	if ev.T < st.Clock-a.horizon {
		return false
	}
	st.Held.MaxSeen = max(st.Held.MaxSeen, ev.T)
	m := st.count(&ev, a.bounds, len(a.w.services))
	if !ev.PageView {
		return true
	}
	st.Totals.PageViews++
	if ev.T < st.Clock {
		a.lateVisit(ev, m, a.cal.dayOf(ev.T))
	} else {
		a.buf.push(&st.Held, ev)
	}
	return true
}

// advance moves the watermark to w: the held page views before it are
// applied in time order, then every minute that ends at or before w is
// closed. A w at or behind the watermark changes nothing.
func (a *audience) advance(w int64) {
	st := &a.st
	if w <= st.Clock {
		return
	}
	if st.NextClose == 0 { // the first watermark: minutes close from the oldest one counted
		st.NextClose = min(a.oldestMinute(), floorDiv(w, minuteNanos))
		st.LastSweep = st.NextClose
	}
	a.buf.releaseBefore(&st.Held, w, a.release)
	st.Clock = w
	now := floorDiv(w, minuteNanos)
	a.closeBefore(now)
	if now-st.LastSweep >= 15 {
		st.LastSweep = now
		limit := w - visitGap - a.horizon
		for k, v := range st.Visits {
			if v.Last < limit {
				delete(st.Visits, k)
			}
		}
	}
}

// release applies a held page view once the watermark has passed it: the
// minutes before its own are closed first, so that its visit's changes to
// the open-visit counts land in open minutes.
func (a *audience) release(ev event) {
	a.closeBefore(floorDiv(ev.T, minuteNanos))
	a.visit(ev)
}

// visit applies a page view, in time order, to its visitor's visit: it
// extends the current one, or starts a new one (counted in its minute,
// open until 30 minutes after its last page view or the end of its day).
func (a *audience) visit(ev event) {
	st := &a.st
	d := a.cal.dayOf(ev.T)
	v, ok := st.Visits[ev.Visitor]
	if ok && v.Day == d.Start && ev.T-v.Last <= visitGap {
		oldEnd, newEnd := lastOpenMinute(v.Last, d.End), lastOpenMinute(ev.T, d.End)
		if newEnd != oldEnd {
			a.st.minute(oldEnd+1).Delta++
			a.st.minute(newEnd+1).Delta--
		}
		v.Last = ev.T
		st.Visits[ev.Visitor] = v
		return
	}
	m := a.st.minute(floorDiv(ev.T, minuteNanos))
	m.Visits[ev.Profile]++
	m.Delta++
	m.Dirty = true
	st.Totals.Visits++
	a.st.minute(lastOpenMinute(ev.T, d.End)+1).Delta--
	if !ok || v.Day != d.Start {
		a.addVisitor(ev.Visitor, ev.Profile, d)
	}
	st.Visits[ev.Visitor] = visit{Start: ev.T, Last: ev.T, Day: d.Start, Profile: ev.Profile}
}

// addVisitor counts k in the visitor sets of day d (and in the import's
// every-visitor set when it is kept).
func (a *audience) addVisitor(k Key, profile uint8, d day) {
	if a.st.Totals.Visitors != nil {
		a.st.Totals.Visitors[k] = struct{}{}
	}
	a.st.Sets.add(k, profile, d)
}

// lateVisit accounts a page view older than the watermark: it joins the
// visitor's current visit when it falls within it (or 30 minutes before
// it), else it counts as a visit of its own. Open visits of closed minutes
// are not revised: they are exact only for lines within the reorder
// window.
func (a *audience) lateVisit(ev event, m *minute, d day) {
	a.addVisitor(ev.Visitor, ev.Profile, d)
	v, ok := a.st.Visits[ev.Visitor]
	if ok && v.Day == d.Start && ev.T >= v.Start-visitGap && ev.T <= v.Last+visitGap {
		return
	}
	m.Visits[ev.Profile]++
	a.st.Totals.Visits++
	if !ok {
		a.st.Visits[ev.Visitor] = visit{Start: ev.T, Last: ev.T, Day: d.Start, Profile: ev.Profile}
	}
}

// lastOpenMinute is the last minute at whose end a visit whose last page
// view is at t is still open: within 30 minutes and the same Paris day.
func lastOpenMinute(t, dayEnd int64) int64 {
	return floorDiv(min(t+visitGap, dayEnd), minuteNanos) - 1
}

// closeBefore closes the minutes before minute index end: their open
// visits become final.
func (a *audience) closeBefore(end int64) {
	st := &a.st
	for ; st.NextClose < end; st.NextClose++ {
		m := st.Minutes[st.NextClose]
		if m == nil && st.Running == 0 {
			continue
		}
		if m == nil {
			m = a.st.minute(st.NextClose)
		}
		st.Running += m.Delta
		m.Open = st.Running
		m.Seen = m.Seen || m.Open > 0
		m.Dirty = true
	}
}

// finish applies every held page view and closes every minute, including
// the ones after the last event while visits are still open (end of an
// import).
func (a *audience) finish() {
	if len(a.st.Minutes) == 0 {
		return // nothing counted (held page views are counted in their minutes)
	}
	if a.st.NextClose == 0 {
		a.st.NextClose = a.oldestMinute()
	}
	a.buf.releaseBefore(&a.st.Held, math.MaxInt64, a.release)
	last := a.st.NextClose
	for mi := range a.st.Minutes {
		last = max(last, mi+1)
	}
	a.closeBefore(last)
}

// emitMode says which buckets a collect renders.
type emitMode uint8

const (
	emitClosed  emitMode = iota // closed minutes and blocks that changed, sets of ended periods that grew
	emitPartial                 // also the running totals of the open minutes, blocks and sets (run, caught up)
	emitAll                     // everything, after finish (end of an import)
)

// collect appends the points of every changed bucket and visitor set mode
// covers, then forgets what is older than the horizon (with emitAll:
// everything).
func (a *audience) collect(out []collector.Point, mode emitMode) []collector.Point {
	st := &a.st
	// What each mode renders: closed minutes (before end), blocks closed
	// with their last minute (before endBlock: an import writes each block
	// once), and the visitor sets of periods that ended by setsUpTo. The
	// sets of open periods grow with almost every page view: rendered at
	// each collect of an import, every batch would rewrite a point of the
	// one before, and the sink writes such batches one after the other
	// (issue 16); they go out when their period ends or with the running
	// totals. What ends before limit is forgotten.
	end := st.NextClose
	endBlock, setsUpTo, limit := floorDiv(end, blockMinutes), st.Clock, st.Clock-a.horizon
	switch mode {
	case emitPartial:
		end = max(end, a.openSoFar()+1)
		endBlock, setsUpTo = floorDiv(end+blockMinutes-1, blockMinutes), math.MaxInt64
	case emitAll:
		endBlock, setsUpTo, limit = math.MaxInt64, math.MaxInt64, math.MaxInt64
	}
	out = emitBuckets(out, st.Minutes, end, minuteNanos, limit, a.w.appendMinute)
	for _, mi := range slices.Sorted(maps.Keys(a.legacy)) {
		out = a.w.appendBreakdowns(out, time.Unix(0, mi*minuteNanos).UTC(), a.legacy[mi])
	}
	a.legacy = nil
	out = emitBuckets(out, st.Blocks, endBlock, blockNanos, limit, a.w.appendBlock)
	return st.Sets.appendDirty(out, a.w, &a.cal, setsUpTo, limit)
}

// emitBuckets appends, in time order, the points of the buckets of m (by
// index: unix nanoseconds / width) before index end that changed since they
// were last rendered, and forgets those that end before limit.
func emitBuckets[B interface{ takeDirty() bool }](out []collector.Point, m map[int64]B, end, width, limit int64,
	render func([]collector.Point, int64, B) []collector.Point) []collector.Point {
	for _, i := range slices.Sorted(maps.Keys(m)) {
		if i >= end {
			break
		}
		if b := m[i]; b.takeDirty() {
			out = render(out, i, b)
		}
		if (i+1)*width < limit {
			delete(m, i)
		}
	}
	return out
}

// openSoFar sets the open visits of the open minutes up to the newest
// line's, as the page views applied so far make them, marking the minutes
// whose count changed; it returns the newest line's minute. The count of a
// minute only grows as page views are applied in time order (a visit
// started or extended adds to the minutes it covers), so what is published
// early is never more than the final value.
func (a *audience) openSoFar() int64 {
	st := &a.st
	last := floorDiv(st.Held.MaxSeen, minuteNanos)
	running := st.Running
	from := st.NextClose
	if from == 0 { // no watermark yet: every minute is open
		from = a.oldestMinute()
	}
	for mi := from; mi <= last; mi++ {
		m := st.Minutes[mi]
		if m == nil {
			continue
		}
		running += m.Delta
		if m.Open != running || (running > 0 && !m.Seen) {
			m.Open = running
			m.Seen = m.Seen || running > 0
			m.Dirty = true
		}
	}
	return last
}

func (a *audience) oldestMinute() int64 {
	oldest := int64(math.MaxInt64)
	if a.st.NextClose != 0 {
		oldest = a.st.NextClose
	}
	for mi := range a.st.Minutes {
		oldest = min(oldest, mi)
	}
	return oldest
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
