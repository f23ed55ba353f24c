package entlog

import (
	"sort"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// day describes the Europe/Paris (configured zone) calendar day of an
// instant: its bounds and the starts of the periods containing it (the
// day, its ISO week, its month: by index in collector.Periods()), all in
// unix nanoseconds. Days are 23 or 25 hours long on DST changes.
type day struct {
	Start, End int64
	Periods    [collector.NumPeriods]int64
}

// calendar maps instants to days, caching the last one: lines come mostly
// in order, so almost every lookup is two comparisons.
type calendar struct {
	loc     *time.Location
	periods []string // collector.Periods()
	last    day
}

func newCalendar(loc *time.Location) calendar {
	return calendar{loc: loc, periods: collector.Periods()}
}

func (c *calendar) dayOf(t int64) day {
	if t >= c.last.Start && t < c.last.End {
		return c.last
	}
	y, m, d := time.Unix(0, t).In(c.loc).Date()
	for kind, name := range c.periods {
		start, end := c.bounds(name, y, m, d)
		c.last.Periods[kind] = start
		if name == collector.PeriodDay {
			c.last.Start, c.last.End = start, end
		}
	}
	return c.last
}

// periodEnd returns the end of the period of the given kind starting at
// start.
func (c *calendar) periodEnd(kind uint8, start int64) int64 {
	y, m, d := time.Unix(0, start).In(c.loc).Date()
	_, end := c.bounds(c.periods[kind], y, m, d)
	return end
}

// bounds returns the start and end of the period named name (a
// collector.Periods() value) that contains the local day y-m-d.
func (c *calendar) bounds(name string, y int, m time.Month, d int) (start, end int64) {
	at := func(y int, m time.Month, d int) int64 { return time.Date(y, m, d, 0, 0, 0, 0, c.loc).UnixNano() }
	switch name {
	case collector.PeriodDay:
		return at(y, m, d), at(y, m, d+1)
	case collector.PeriodWeek: // ISO: from Monday
		monday := d - (int(time.Date(y, m, d, 12, 0, 0, 0, c.loc).Weekday())+6)%7
		return at(y, m, monday), at(y, m, monday+7)
	case collector.PeriodMonth:
		return at(y, m, 1), at(y, m+1, 1)
	}
	panic("BUG: no calendar rule for period " + name)
}

// periodKey names one exact unique-visitor set.
type periodKey struct {
	Kind    uint8 // index in collector.Periods()
	Profile uint8 // index in collector.Profiles()
	Start   int64 // unix nanoseconds of the local period start
}

// visitorSet is the exact set of visitors of one period and profile. Its
// size is the unique_visitors field; sets are never summed.
type visitorSet struct {
	Keys  keySet
	Dirty bool // grew since its last point
}

// visitorSets are the open period sets. Not safe for concurrent use.
type visitorSets map[periodKey]*visitorSet

// add puts k in the sets of profile for the periods of day d.
func (v visitorSets) add(k Key, profile uint8, d day) {
	for kind, start := range d.Periods {
		pk := periodKey{Kind: uint8(kind), Profile: profile, Start: start}
		s := v[pk]
		if s == nil {
			s = &visitorSet{Keys: keySet{}}
			v[pk] = s
		}
		if _, ok := s.Keys[k]; !ok {
			s.Keys[k] = struct{}{}
			s.Dirty = true
		}
	}
}

// appendDirty renders the sets that grew since the last call and whose
// period ended by upTo, then drops the sets whose period ended before limit
// (they can no longer change).
func (v visitorSets) appendDirty(out []collector.Point, w *pointWriter, cal *calendar, upTo, limit int64) []collector.Point {
	keys := make([]periodKey, 0, len(v))
	for pk := range v {
		keys = append(keys, pk)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Profile < b.Profile
	})
	for _, pk := range keys {
		s := v[pk]
		end := cal.periodEnd(pk.Kind, pk.Start)
		if s.Dirty && end <= upTo {
			out = append(out, collector.Point{Measurement: collector.MeasVisitors,
				Time:   time.Unix(0, pk.Start).UTC(),
				Tags:   w.visitors[pk.Profile][pk.Kind],
				Fields: map[string]any{collector.FieldUniqueVisitors: int64(len(s.Keys))}})
			s.Dirty = false
		}
		if end < limit {
			delete(v, pk)
		}
	}
	return out
}
