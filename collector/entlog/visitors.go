package entlog

import (
	"sort"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// day describes the Europe/Paris (configured zone) calendar day of an
// instant: its bounds and the starts of its ISO week and month, all in unix
// nanoseconds. Days are 23 or 25 hours long on DST changes.
type day struct {
	Start, End, Week, Month int64
}

// calendar maps instants to days, caching the last one: lines come mostly
// in order, so almost every lookup is two comparisons.
type calendar struct {
	loc  *time.Location
	last day
}

func (c *calendar) dayOf(t int64) day {
	if t >= c.last.Start && t < c.last.End {
		return c.last
	}
	lt := time.Unix(0, t).In(c.loc)
	y, m, d := lt.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, c.loc)
	wd := (int(start.Weekday()) + 6) % 7 // Monday = 0
	c.last = day{
		Start: start.UnixNano(),
		End:   time.Date(y, m, d+1, 0, 0, 0, 0, c.loc).UnixNano(),
		Week:  time.Date(y, m, d-wd, 0, 0, 0, 0, c.loc).UnixNano(),
		Month: time.Date(y, m, 1, 0, 0, 0, 0, c.loc).UnixNano(),
	}
	return c.last
}

// periodEnd returns the end of the period of the given kind starting at
// start.
func (c *calendar) periodEnd(kind uint8, start int64) int64 {
	s := time.Unix(0, start).In(c.loc)
	y, m, d := s.Date()
	switch kind {
	case periodDay:
		return time.Date(y, m, d+1, 0, 0, 0, 0, c.loc).UnixNano()
	case periodWeek:
		return time.Date(y, m, d+7, 0, 0, 0, 0, c.loc).UnixNano()
	default:
		return time.Date(y, m+1, 1, 0, 0, 0, 0, c.loc).UnixNano()
	}
}

// Period kinds, indexes in periodNames.
const (
	periodDay uint8 = iota
	periodWeek
	periodMonth
)

func periodName(kind uint8) string {
	return [...]string{collector.PeriodDay, collector.PeriodWeek, collector.PeriodMonth}[kind]
}

// periodKey names one exact unique-visitor set.
type periodKey struct {
	Kind    uint8
	Profile uint8
	Start   int64 // unix nanoseconds of the local period start
}

// visitorSet is the exact set of visitors of one period and profile. Its
// size is the unique_visitors field; sets are never summed.
type visitorSet struct {
	Keys  map[Key]struct{}
	Dirty bool
}

// visitors holds the open period sets. Not safe for concurrent use.
type visitors struct {
	sets map[periodKey]*visitorSet
	all  map[Key]struct{} // every visitor since the start, when not nil (import summary)
}

func (v *visitors) add(k Key, profile uint8, d day) {
	if v.all != nil {
		v.all[k] = struct{}{}
	}
	for kind, start := range [...]int64{d.Start, d.Week, d.Month} {
		pk := periodKey{Kind: uint8(kind), Profile: profile, Start: start}
		s := v.sets[pk]
		if s == nil {
			s = &visitorSet{Keys: map[Key]struct{}{}}
			v.sets[pk] = s
		}
		if _, ok := s.Keys[k]; !ok {
			s.Keys[k] = struct{}{}
			s.Dirty = true
		}
	}
}

// appendDirty renders the sets that grew since the last call, then drops
// the sets whose period ended before limit (they can no longer change).
func (v *visitors) appendDirty(out []collector.Point, w *pointWriter, cal *calendar, limit int64) []collector.Point {
	keys := make([]periodKey, 0, len(v.sets))
	for pk := range v.sets {
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
		s := v.sets[pk]
		if s.Dirty {
			out = append(out, collector.Point{Measurement: collector.MeasVisitors,
				Time:   time.Unix(0, pk.Start).UTC(),
				Tags:   w.tags(collector.TagProfile, w.profiles[pk.Profile], collector.TagPeriod, periodName(pk.Kind)),
				Fields: map[string]any{collector.FieldUniqueVisitors: int64(len(s.Keys))}})
			s.Dirty = false
		}
		if cal.periodEnd(pk.Kind, pk.Start) < limit {
			delete(v.sets, pk)
		}
	}
	return out
}
