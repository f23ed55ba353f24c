package entlog

import (
	"time"

	"github.com/entpipe/entpipe/collector"
)

const visitGap = int64(30 * time.Minute) // DESIGN.md rule 4

// visit is a visitor's current visit: its first and last page views and
// its Paris day. Fields are exported for the checkpoint encoder only.
type visit struct {
	Start, Last int64
	Day         int64 // start of the Paris day
	Profile     uint8
}

// audience is the aggregation engine: it turns events, in any order within
// the reorder window, into minute buckets, visits, open visits and exact
// visitor sets, and renders the buckets that changed as points. Not safe
// for concurrent use: one per source goroutine.
//
// Time model: events leave the reorder buffer in time order; clock is the
// time of the last one. Minute m is closed once clock reaches its end: its
// open visits are final and it is written. An event older than clock (it
// arrived later than the reorder window allows) is still added to its
// minute and visitor sets while it is within horizon of clock, and the
// buckets it changes are rewritten; older events are too late.
type audience struct {
	horizon int64
	cal     calendar
	w       *pointWriter
	bounds  []float64
	buf     *reorder

	clock     int64 // time of the last released event
	nextClose int64 // first minute not yet closed; 0 before the first event
	running   int64 // open visits at the end of minute nextClose-1
	lastSweep int64 // minute of the last eviction of old visits
	minutes   map[int64]*minute
	visits    map[Key]visit
	visitors  visitors

	tooLate func() // counts an event dropped as too late

	pageViews, totalVisits int64 // since the start (import summary)
}

func newAudience(w *pointWriter, loc *time.Location, horizon, window time.Duration, tooLate func()) *audience {
	return &audience{
		horizon:  int64(horizon),
		cal:      calendar{loc: loc},
		w:        w,
		bounds:   collector.DurationBuckets(),
		buf:      newReorder(int64(window)),
		minutes:  map[int64]*minute{},
		visits:   map[Key]visit{},
		visitors: visitors{sets: map[periodKey]*visitorSet{}},
		tooLate:  tooLate,
	}
}

// add takes one event; it is applied once the reorder window has passed.
func (a *audience) add(ev event) { a.buf.push(ev, a.apply) }

// minute returns the bucket of minute index mi, creating it.
func (a *audience) minute(mi int64) *minute {
	m := a.minutes[mi]
	if m == nil {
		m = &minute{Services: make([]int64, nProfiles*len(a.w.services)), Closed: mi < a.nextClose}
		a.minutes[mi] = m
	}
	return m
}

func (a *audience) apply(ev event) {
	late := ev.T < a.clock
	if late && ev.T < a.clock-a.horizon {
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
	a.pageViews++
	m.Services[int(ev.Profile)*len(a.w.services)+int(ev.Service)]++
	d := a.cal.dayOf(ev.T)
	if late {
		a.lateVisit(ev, m, d)
		return
	}
	v, ok := a.visits[ev.Visitor]
	if ok && v.Day == d.Start && ev.T-v.Last <= visitGap {
		oldEnd, newEnd := lastOpenMinute(v.Last, d.End), lastOpenMinute(ev.T, d.End)
		if newEnd != oldEnd {
			a.minute(oldEnd+1).Delta++
			a.minute(newEnd+1).Delta--
		}
		v.Last = ev.T
		a.visits[ev.Visitor] = v
		return
	}
	m.Visits[ev.Profile]++
	a.totalVisits++
	m.Delta++
	a.minute(lastOpenMinute(ev.T, d.End)+1).Delta--
	if !ok || v.Day != d.Start {
		a.visitors.add(ev.Visitor, ev.Profile, d)
	}
	a.visits[ev.Visitor] = visit{Start: ev.T, Last: ev.T, Day: d.Start, Profile: ev.Profile}
}

// lateVisit accounts a page view older than clock: it joins the visitor's
// current visit when it falls within it (or 30 minutes before it), else it
// counts as a visit of its own. Open visits of closed minutes are not
// revised: they are exact only for lines within the reorder window.
func (a *audience) lateVisit(ev event, m *minute, d day) {
	a.visitors.add(ev.Visitor, ev.Profile, d)
	v, ok := a.visits[ev.Visitor]
	if ok && v.Day == d.Start && ev.T >= v.Start-visitGap && ev.T <= v.Last+visitGap {
		return
	}
	m.Visits[ev.Profile]++
	a.totalVisits++
	if !ok {
		a.visits[ev.Visitor] = visit{Start: ev.T, Last: ev.T, Day: d.Start, Profile: ev.Profile}
	}
}

// lastOpenMinute is the last minute at whose end a visit whose last page
// view is at t is still open: within 30 minutes and the same Paris day.
func lastOpenMinute(t, dayEnd int64) int64 {
	return floorDiv(min(t+visitGap, dayEnd), minuteNanos) - 1
}

// advance moves clock to t, closing every minute that ends at or before it.
func (a *audience) advance(t int64) {
	a.clock = t
	a.closeBefore(floorDiv(t, minuteNanos))
	if now := floorDiv(t, minuteNanos); now-a.lastSweep >= 15 {
		a.lastSweep = now
		limit := t - visitGap - a.horizon
		for k, v := range a.visits {
			if v.Last < limit {
				delete(a.visits, k)
			}
		}
	}
}

// closeBefore closes the minutes before minute index end.
func (a *audience) closeBefore(end int64) {
	if a.nextClose == 0 {
		a.nextClose = end
		a.lastSweep = end
	}
	for ; a.nextClose < end; a.nextClose++ {
		m := a.minutes[a.nextClose]
		if m == nil && a.running == 0 {
			continue
		}
		if m == nil {
			m = a.minute(a.nextClose)
		}
		a.running += m.Delta
		m.Open = a.running
		m.Seen = m.Seen || m.Open > 0
		m.Closed, m.Dirty = true, true
	}
}

// finish releases every held event and closes every minute, including
// the ones after the last event while visits are still open (end of an
// import).
func (a *audience) finish() {
	a.buf.drain(a.apply)
	last := a.nextClose
	for mi := range a.minutes {
		last = max(last, mi+1)
	}
	a.closeBefore(last)
}

// collect appends the points of every closed bucket that changed and of
// every visitor set that grew, then forgets what is older than the
// horizon. With all set (end of an import) it also forgets everything.
func (a *audience) collect(out []collector.Point, all bool) []collector.Point {
	limit := a.clock - a.horizon
	if all {
		limit = int64(^uint64(0) >> 1)
	}
	for mi := a.oldestMinute(); mi < a.nextClose; mi++ {
		m := a.minutes[mi]
		if m == nil {
			continue
		}
		if m.Dirty {
			out = a.w.appendMinute(out, mi, m)
			m.Dirty = false
		}
		if (mi+1)*minuteNanos < limit {
			delete(a.minutes, mi)
		}
	}
	return a.visitors.appendDirty(out, a.w, &a.cal, limit)
}

func (a *audience) oldestMinute() int64 {
	oldest := a.nextClose
	for mi := range a.minutes {
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
