package enseigno

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// The value columns, in Columns order after date, department, discipline.
const (
	iAccounts = iota // a level, never differenced
	iSessions
	iHours // the only float field
	iSheets
	iExercises
	nFields
)

var fieldNames = [nFields]string{collector.FieldActivatedAccounts, collector.FieldSessions,
	collector.FieldTutoringHours, collector.FieldCourseSheets, collector.FieldExercises}

// usage is one discipline's values for a day; set says which the export had.
type usage struct {
	v   [nFields]float64
	set [nFields]bool
}

func (u *usage) add(o usage) {
	for i := range nFields {
		if o.set[i] {
			u.v[i] += o.v[i]
			u.set[i] = true
		}
	}
}

// dayKey is a department's Paris calendar day; day is a civil date held as
// midnight UTC.
type dayKey struct {
	dep string
	day time.Time
}

// export holds the rows of one or more exports: per department-day, the
// values by discipline slug, duplicates (aliases of one slug) summed.
// Under collector.DisciplineAll (never a discipline slug) a day may hold
// values the export gives for the whole day, which the day's total takes
// instead of the sum of the disciplines: the département's activated
// accounts of a per_department export.
type export map[dayKey]map[string]usage

func (e export) add(k dayKey, disc string, u usage) {
	d := e[k]
	if d == nil {
		d = map[string]usage{}
		e[k] = d
	}
	cur := d[disc]
	cur.add(u)
	d[disc] = cur
}

// overlay replaces e's days with those of later, whole days at a time: the
// later export of an overlapping pair wins, and a day is never a mix.
func (e export) overlay(later export) {
	maps.Copy(e, later)
}

func (e export) sortedKeys() []dayKey {
	keys := slices.Collect(maps.Keys(e))
	slices.SortFunc(keys, func(a, b dayKey) int {
		if c := a.day.Compare(b.day); c != 0 {
			return c
		}
		return cmp.Compare(a.dep, b.dep)
	})
	return keys
}

// daily turns the export into daily values. Daily exports are returned as
// they are. Cumulative ones are first recorded in the baselines (their days
// replacing recorded ones), then each day becomes its difference with the
// previous calendar day's record; a day without one is only a baseline and
// is left out. A value below the previous day's is a reset: the day's value
// is then the cumulative value itself.
func daily(ex export, cumulative bool, base baselines, sum *Summary) export {
	if !cumulative {
		return ex
	}
	for k, discs := range ex {
		base.record(k, discs)
	}
	out := export{}
	for k, discs := range ex {
		prev, ok := base.get(dayKey{k.dep, k.day.AddDate(0, 0, -1)})
		if !ok {
			sum.BaselineDays++
			continue
		}
		for disc, cur := range discs {
			d := cur
			p := prev[disc]
			for i := range nFields {
				if i == iAccounts || !cur.set[i] {
					continue
				}
				if diff := cur.v[i] - p.v[i]; diff >= 0 {
					d.v[i] = diff
				} else {
					sum.Resets++
				}
			}
			out.add(k, disc, d)
		}
	}
	return out
}

// points renders daily values as enseigno_usage points at the start of
// each Paris day, one per discipline plus the day's DisciplineAll total
// computed from the rows (or given whole by the export, see export).
func points(ex export, paris *time.Location, sum *Summary) []collector.Point {
	seen := map[string]bool{}
	var out []collector.Point
	for _, k := range ex.sortedKeys() {
		discs := ex[k]
		t := time.Date(k.day.Year(), k.day.Month(), k.day.Day(), 0, 0, 0, 0, paris)
		var all usage
		for _, disc := range slices.Sorted(maps.Keys(discs)) {
			if disc == collector.DisciplineAll {
				continue
			}
			u := discs[disc]
			all.add(u)
			if p, ok := point(k.dep, disc, u, t); ok {
				seen[disc] = true
				out = append(out, p)
			}
		}
		given := discs[collector.DisciplineAll]
		for i := range nFields {
			if given.set[i] {
				all.v[i], all.set[i] = given.v[i], true
			}
		}
		if p, ok := point(k.dep, collector.DisciplineAll, all, t); ok {
			out = append(out, p)
		}
	}
	sum.Days += len(ex)
	sum.Points += len(out)
	sum.Disciplines = slices.Sorted(maps.Keys(seen))
	return out
}

// point returns false when u has no value at all (a row of empty cells).
func point(dep, disc string, u usage, t time.Time) (collector.Point, bool) {
	fields := make(map[string]any, nFields)
	for i, name := range fieldNames {
		switch {
		case !u.set[i]:
		case i == iHours:
			fields[name] = math.Round(u.v[i]*1e6) / 1e6
		default:
			fields[name] = int64(math.Round(u.v[i]))
		}
	}
	return collector.Point{
		Measurement: collector.MeasEnseigno,
		Tags:        map[string]string{collector.TagDepartment: dep, collector.TagDiscipline: disc},
		Fields:      fields,
		Time:        t,
	}, len(fields) > 0
}
