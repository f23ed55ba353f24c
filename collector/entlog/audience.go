package entlog

import (
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
// the reorder window, into minute buckets, visits, open visits and exact
// visitor sets, and renders the buckets that changed as points. Everything
// it changes is in st, one State value (what a checkpoint holds); its
// other fields are configuration and caches. Not safe for concurrent use:
// one per source goroutine.
//
// Time model: events leave the reorder buffer in time order; st.Clock is
// the time of the last one. Minute m is closed once the clock reaches its
// end: its open visits are final and it is written. An event older than
// the clock (it arrived later than the reorder window allows) is still
// added to its minute and visitor sets while it is within horizon of the
// clock, and the buckets it changes are rewritten; older events are too
// late.
type audience struct {
	horizon int64
	cal     calendar
	w       *pointWriter
	bounds  []float64 // collector.DurationBuckets()
	buf     reorder
	tooLate func() // counts an event dropped as too late

	st State
}

func newAudience(w *pointWriter, loc *time.Location, horizon, window time.Duration, tooLate func()) *audience {
	return &audience{
		horizon: int64(horizon),
		cal:     newCalendar(loc),
		w:       w,
		bounds:  collector.DurationBuckets(),
		buf:     reorder{window: int64(window)},
		tooLate: tooLate,
		st:      newState(),
	}
}

// add takes one event; it is applied once the reorder window has passed.
func (a *audience) add(ev event) { a.buf.push(&a.st.Held, ev, a.apply) }

// minute returns the bucket of minute index mi, creating it.
func (a *audience) minute(mi int64) *minute {
	m := a.st.Minutes[mi]
	if m == nil {
		m = &minute{Services: make([]int64, collector.NumProfiles*len(a.w.services)), Closed: mi < a.st.NextClose}
		a.st.Minutes[mi] = m
	}
	return m
}

func (a *audience) apply(ev event) {
	late := ev.T < a.st.Clock
	if late && ev.T < a.st.Clock-a.horizon {
		a.tooLate()
		return
	}
	if !late {
		a.advance(ev.T)
	}
	mi := floorDiv(ev.T, minuteNanos)
	m := a.minute(mi)
	m.count(&ev, a.bounds)
	if m.Closed {
		m.Dirty = true
	}
	if !ev.PageView {
		return
	}
	m.PageViews[ev.Profile]++
	a.st.Totals.PageViews++
	m.Services[int(ev.Profile)*len(a.w.services)+int(ev.Service)]++
	d := a.cal.dayOf(ev.T)
	if late {
		a.lateVisit(ev, m, d)
		return
	}
	v, ok := a.st.Visits[ev.Visitor]
	if ok && v.Day == d.Start && ev.T-v.Last <= visitGap {
		oldEnd, newEnd := lastOpenMinute(v.Last, d.End), lastOpenMinute(ev.T, d.End)
		if newEnd != oldEnd {
			a.minute(oldEnd+1).Delta++
			a.minute(newEnd+1).Delta--
		}
		v.Last = ev.T
		a.st.Visits[ev.Visitor] = v
		return
	}
	m.Visits[ev.Profile]++
	a.st.Totals.Visits++
	m.Delta++
	a.minute(lastOpenMinute(ev.T, d.End)+1).Delta--
	if !ok || v.Day != d.Start {
		a.addVisitor(ev.Visitor, ev.Profile, d)
	}
	a.st.Visits[ev.Visitor] = visit{Start: ev.T, Last: ev.T, Day: d.Start, Profile: ev.Profile}
}

// addVisitor counts k in the visitor sets of day d (and in the import's
// every-visitor set when it is kept).
func (a *audience) addVisitor(k Key, profile uint8, d day) {
	if a.st.Totals.Visitors != nil {
		a.st.Totals.Visitors[k] = struct{}{}
	}
	a.st.Sets.add(k, profile, d)
}

// lateVisit accounts a page view older than clock: it joins the visitor's
// current visit when it falls within it (or 30 minutes before it), else it
// counts as a visit of its own. Open visits of closed minutes are not
// revised: they are exact only for lines within the reorder window.
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

// advance moves the clock to t, closing every minute that ends at or
// before it.
func (a *audience) advance(t int64) {
	st := &a.st
	st.Clock = t
	a.closeBefore(floorDiv(t, minuteNanos))
	if now := floorDiv(t, minuteNanos); now-st.LastSweep >= 15 {
		st.LastSweep = now
		limit := t - visitGap - a.horizon
		for k, v := range st.Visits {
			if v.Last < limit {
				delete(st.Visits, k)
			}
		}
	}
}

// closeBefore closes the minutes before minute index end.
func (a *audience) closeBefore(end int64) {
	st := &a.st
	if st.NextClose == 0 {
		st.NextClose = end
		st.LastSweep = end
	}
	for ; st.NextClose < end; st.NextClose++ {
		m := st.Minutes[st.NextClose]
		if m == nil && st.Running == 0 {
			continue
		}
		if m == nil {
			m = a.minute(st.NextClose)
		}
		st.Running += m.Delta
		m.Open = st.Running
		m.Seen = m.Seen || m.Open > 0
		m.Closed, m.Dirty = true, true
	}
}

// finish releases every held event and closes every minute, including
// the ones after the last event while visits are still open (end of an
// import).
func (a *audience) finish() {
	a.buf.drain(&a.st.Held, a.apply)
	last := a.st.NextClose
	for mi := range a.st.Minutes {
		last = max(last, mi+1)
	}
	a.closeBefore(last)
}

// collect appends the points of every closed bucket that changed and of
// every visitor set that grew, then forgets what is older than the
// horizon. With all set (end of an import) it also forgets everything.
func (a *audience) collect(out []collector.Point, all bool) []collector.Point {
	st := &a.st
	limit := st.Clock - a.horizon
	if all {
		limit = int64(^uint64(0) >> 1)
	}
	for mi := a.oldestMinute(); mi < st.NextClose; mi++ {
		m := st.Minutes[mi]
		if m == nil {
			continue
		}
		if m.Dirty {
			out = a.w.appendMinute(out, mi, m)
			m.Dirty = false
		}
		if (mi+1)*minuteNanos < limit {
			delete(st.Minutes, mi)
		}
	}
	return st.Sets.appendDirty(out, a.w, &a.cal, limit)
}

func (a *audience) oldestMinute() int64 {
	oldest := a.st.NextClose
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
