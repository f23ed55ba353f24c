package dashboards

import (
	"fmt"
	"slices"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/dashboards/grafanatest"
)

// oracle computes, from the fixture in memory, what a panel query must
// return for a window. Each is written from the panel's definition (its
// description), not from the InfluxQL text.
type oracle func(w grafanatest.Window) series

type (
	bucketFn func(grafanatest.Window) func(time.Time) time.Time
	keepFn   func(grafanatest.Window) func(map[string]string) bool
)

func tenMinutes(grafanatest.Window) func(time.Time) time.Time {
	return func(t time.Time) time.Time { return t.Truncate(10 * time.Minute) }
}

func daily(grafanatest.Window) func(time.Time) time.Time { return parisDay }

// byInterval buckets on $__interval; Paris offsets are whole hours, so
// buckets up to an hour align on UTC, and a day bucket is a Paris day.
func byInterval(w grafanatest.Window) func(time.Time) time.Time {
	if w.Interval >= 24*time.Hour {
		return parisDay
	}
	return func(t time.Time) time.Time { return t.Truncate(w.Interval) }
}

// selected keeps the points of the chosen départements (and ENTs, when the
// board has the variable), with the other tags equal to kv (see tagIs).
func selected(kv ...string) keepFn {
	return func(w grafanatest.Window) func(map[string]string) bool {
		fixed := tagIs(kv...)
		return func(tags map[string]string) bool {
			for _, v := range []string{collector.TagDepartment, collector.TagENT} {
				if vals, ok := w.Vars[v]; ok && !slices.Contains(vals, tags[v]) {
					return false
				}
			}
			return fixed(tags)
		}
	}
}

func by(tags ...string) []string { return tags }

// panelOracles maps every query (with its %s filled in) to its oracle.
func panelOracles(points []fpoint) map[string]oracle {
	agg := func(meas, field, fn string, bucket bucketFn, groupBy []string, keep keepFn) oracle {
		return func(w grafanatest.Window) series {
			a := aggregation{meas: meas, field: field, fn: fn, groupBy: groupBy, keep: keep(w)}
			if bucket != nil {
				a.bucket = bucket(w)
			}
			return expect(points, a, w.From, w.To)
		}
	}
	traffic, active, visitors := collector.MeasTraffic, collector.MeasActive, collector.MeasVisitors
	ens, load, probe, svc := collector.MeasEnseigno, collector.MeasInfraLoad, collector.MeasProbe, collector.MeasService
	v, pv, uv := collector.FieldVisits, collector.FieldPageViews, collector.FieldUniqueVisitors
	all, notAll := selected(collector.TagDiscipline, collector.DisciplineAll), selected(collector.TagDiscipline, "!"+collector.DisciplineAll)
	day, month := selected(collector.TagPeriod, collector.PeriodDay), selected(collector.TagPeriod, collector.PeriodMonth)
	dep, ent, host, tgt := by(collector.TagDepartment), by(collector.TagENT), by(collector.TagHost), by(collector.TagTarget)
	o := map[string]oracle{
		QueryIntradayVisits:     agg(traffic, v, "sum", tenMinutes, nil, selected()),
		QueryIntradayPageViews:  agg(traffic, pv, "sum", tenMinutes, nil, selected()),
		QueryIntradayOpenVisits: agg(active, collector.FieldOpenVisits, "max", tenMinutes, ent, selected()),
		QueryVisitsTotal:        agg(traffic, v, "sum", nil, nil, selected()),
		QueryPageViewsTotal:     agg(traffic, pv, "sum", nil, nil, selected()),
		QueryOpenVisitsPeak:     agg(active, collector.FieldOpenVisits, "max", nil, ent, selected()),
		QueryDayUniqueVisitors:  agg(visitors, uv, "sum", nil, nil, day),

		QueryDailyVisitsByDepartment:         agg(traffic, v, "sum", daily, dep, selected()),
		QueryDailyPageViewsByDepartment:      agg(traffic, pv, "sum", daily, dep, selected()),
		QueryDailyUniqueVisitorsByDepartment: agg(visitors, uv, "sum", daily, dep, day),
		QueryMonthUniqueVisitorsByDepartment: agg(visitors, uv, "sum", nil, dep, month),

		QueryEnseignoActivatedAccounts: agg(ens, collector.FieldActivatedAccounts, "sum", daily, nil, all),
		QueryEnseignoSessions:          agg(ens, collector.FieldSessions, "sum", daily, nil, all),
		QueryEnseignoTutoringHours:     agg(ens, collector.FieldTutoringHours, "sum", daily, nil, all),
		QueryEnseignoCourseSheets:      agg(ens, collector.FieldCourseSheets, "sum", daily, nil, all),
		QueryEnseignoExercises:         agg(ens, collector.FieldExercises, "sum", daily, nil, all),
		QuerySessionsByDiscipline:      agg(ens, collector.FieldSessions, "sum", nil, by(collector.TagDiscipline), notAll),
		QueryTutoringHoursByDiscipline: agg(ens, collector.FieldTutoringHours, "sum", nil, by(collector.TagDiscipline), notAll),
		QueryExercisesByDiscipline:     agg(ens, collector.FieldExercises, "sum", nil, by(collector.TagDiscipline), notAll),

		QueryCPUUtilization:    agg(load, collector.FieldCPUUtilization, "mean", byInterval, host, selected()),
		QueryMemoryUtilization: agg(load, collector.FieldMemoryUtilization, "mean", byInterval, host, selected()),
		QueryLoad1PerCore:      agg(load, collector.FieldLoad1PerCore, "mean", byInterval, host, selected()),
		QueryNetworkReceive:    agg(load, collector.FieldNetReceiveBps, "mean", byInterval, host, selected()),
		QueryNetworkTransmit:   agg(load, collector.FieldNetTransmitBps, "mean", byInterval, host, selected()),
		QueryHTTPConnections:   agg(load, collector.FieldHTTPConnections, "max", byInterval, host, selected()),
		QueryProbeDuration:     agg(probe, collector.FieldDurationSeconds, "max", byInterval, tgt, selected()),
		QueryProbeSuccess:      agg(probe, collector.FieldSuccess, "mean", byInterval, tgt, selected()),

		QueryPageViewsByService:      agg(svc, pv, "sum", byInterval, by(collector.TagService), selected()),
		QueryPageViewsByServiceTotal: agg(svc, pv, "sum", nil, by(collector.TagService), selected()),
		QueryServiceByProfileTable:   agg(svc, pv, "sum", nil, by(collector.TagService, collector.TagProfile), selected()),
	}
	// Visits per minute: the visits of each $__interval bucket, per ENT,
	// divided by the bucket's length in minutes.
	visits := agg(traffic, v, "sum", byInterval, ent, selected())
	o[QueryVisitsPerMinute] = func(w grafanatest.Window) series {
		return scale(visits(w), func(x float64) float64 { return x / w.Interval.Minutes() })
	}
	// Mean page duration: total seconds over total requests, per bucket.
	page := selected(collector.TagClass, collector.ClassPage)
	secs := agg(collector.MeasRequestDuration, collector.FieldDurationSumSeconds, "sum", byInterval, ent, page)
	count := agg(collector.MeasRequestDuration, collector.FieldDurationCount, "sum", byInterval, ent, page)
	o[QueryPageDurationMean] = func(w grafanatest.Window) series {
		s, c := secs(w), count(w)
		out := series{}
		for key, buckets := range s {
			for ts, x := range buckets {
				out.add(key, ts, x/c[key][ts])
			}
		}
		return out
	}
	for _, p := range collector.Profiles() {
		prof := selected(collector.TagProfile, p)
		o[fmt.Sprintf(QueryDailyVisitsByProfile, p)] = agg(traffic, v, "sum", daily, nil, prof)
		o[fmt.Sprintf(QueryVisitsByProfileTotal, p)] = agg(traffic, v, "sum", nil, nil, prof)
		o[fmt.Sprintf(QueryServicePageViewsByProfile, p)] = agg(svc, pv, "sum", byInterval, nil, prof)
	}
	return o
}

func scale(s series, fn func(float64) float64) series {
	out := series{}
	for key, buckets := range s {
		for ts, x := range buckets {
			out.add(key, ts, fn(x))
		}
	}
	return out
}
