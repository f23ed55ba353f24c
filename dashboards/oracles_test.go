package dashboards

import (
	"fmt"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// oracle computes, from the fixture in memory, what a panel query must
// return for a window. Each is written from the panel's definition (its
// description), not from the InfluxQL text.
type oracle func(w window) series

func tenMinutes(t time.Time) time.Time { return t.Truncate(10 * time.Minute) }

// byInterval buckets on $__interval; Paris offsets are whole hours, so
// buckets up to an hour align on UTC, and a day bucket is a Paris day.
func byInterval(w window) func(time.Time) time.Time {
	if w.interval >= 24*time.Hour {
		return parisDay
	}
	return func(t time.Time) time.Time { return t.Truncate(w.interval) }
}

// panelOracles maps every query (with its %s filled in) to its oracle.
func panelOracles(points []fpoint) map[string]oracle {
	const (
		sum  = "sum"
		max  = "max"
		mean = "mean"
	)
	traffic, active, visitors := collector.MeasTraffic, collector.MeasActive, collector.MeasVisitors
	ens, load, probe := collector.MeasEnseigno, collector.MeasInfraLoad, collector.MeasProbe
	agg := func(meas, field, fn string, bucket func(window) func(time.Time) time.Time, groupBy string,
		keep func(w window) func(map[string]string) bool) oracle {
		return func(w window) series {
			a := aggregation{meas: meas, field: field, fn: fn, groupBy: groupBy}
			if bucket != nil {
				a.bucket = bucket(w)
			}
			if keep != nil {
				a.keep = keep(w)
			}
			return expect(points, a, w.from, w.to)
		}
	}
	tenMin := func(window) func(time.Time) time.Time { return tenMinutes }
	daily := func(window) func(time.Time) time.Time { return parisDay }
	onENT := func(kv ...string) func(w window) func(map[string]string) bool {
		return func(w window) func(map[string]string) bool {
			return tagIs(append([]string{collector.TagENT, w.ent}, kv...)...)
		}
	}
	only := func(kv ...string) func(window) func(map[string]string) bool {
		return func(window) func(map[string]string) bool { return tagIs(kv...) }
	}
	all, notAll := only(collector.TagDiscipline, collector.DisciplineAll), only(collector.TagDiscipline, "!"+collector.DisciplineAll)
	f := collector.FieldVisits
	pv := collector.FieldPageViews
	uv := collector.FieldUniqueVisitors
	o := map[string]oracle{
		QueryIntradayVisits:     agg(traffic, f, sum, tenMin, "", onENT()),
		QueryIntradayPageViews:  agg(traffic, pv, sum, tenMin, "", onENT()),
		QueryIntradayOpenVisits: agg(active, collector.FieldOpenVisits, max, tenMin, "", onENT()),
		QueryVisitsTotal:        agg(traffic, f, sum, nil, "", onENT()),
		QueryPageViewsTotal:     agg(traffic, pv, sum, nil, "", onENT()),
		QueryOpenVisitsPeak:     agg(active, collector.FieldOpenVisits, max, nil, "", onENT()),
		QueryDayUniqueVisitors:  agg(visitors, uv, sum, nil, "", onENT(collector.TagPeriod, collector.PeriodDay)),

		QueryEnseignoActivatedAccounts: agg(ens, collector.FieldActivatedAccounts, sum, daily, "", all),
		QueryEnseignoSessions:          agg(ens, collector.FieldSessions, sum, daily, "", all),
		QueryEnseignoTutoringHours:     agg(ens, collector.FieldTutoringHours, sum, daily, "", all),
		QueryEnseignoCourseSheets:      agg(ens, collector.FieldCourseSheets, sum, daily, "", all),
		QueryEnseignoExercises:         agg(ens, collector.FieldExercises, sum, daily, "", all),
		QuerySessionsByDiscipline:      agg(ens, collector.FieldSessions, sum, nil, collector.TagDiscipline, notAll),
		QueryTutoringHoursByDiscipline: agg(ens, collector.FieldTutoringHours, sum, nil, collector.TagDiscipline, notAll),
		QueryExercisesByDiscipline:     agg(ens, collector.FieldExercises, sum, nil, collector.TagDiscipline, notAll),

		QueryCPUUtilization:    agg(load, collector.FieldCPUUtilization, mean, byInterval, collector.TagHost, nil),
		QueryMemoryUtilization: agg(load, collector.FieldMemoryUtilization, mean, byInterval, collector.TagHost, nil),
		QueryLoad1PerCore:      agg(load, collector.FieldLoad1PerCore, mean, byInterval, collector.TagHost, nil),
		QueryNetworkReceive:    agg(load, collector.FieldNetReceiveBps, mean, byInterval, collector.TagHost, nil),
		QueryNetworkTransmit:   agg(load, collector.FieldNetTransmitBps, mean, byInterval, collector.TagHost, nil),
		QueryHTTPConnections:   agg(load, collector.FieldHTTPConnections, max, byInterval, collector.TagHost, nil),
		QueryProbeDuration:     agg(probe, collector.FieldDurationSeconds, max, byInterval, collector.TagTarget, nil),
		QueryProbeSuccess:      agg(probe, collector.FieldSuccess, mean, byInterval, collector.TagTarget, nil),

		QueryPageViewsByService:      agg(collector.MeasService, pv, sum, byInterval, collector.TagService, onENT()),
		QueryPageViewsByServiceTotal: agg(collector.MeasService, pv, sum, nil, collector.TagService, onENT()),
	}
	// Visits per minute: the visits of each $__interval bucket, per ENT,
	// divided by the bucket's length in minutes.
	visits := agg(traffic, f, sum, byInterval, collector.TagENT, nil)
	o[QueryVisitsPerMinute] = func(w window) series {
		return scale(visits(w), func(v float64) float64 { return v / w.interval.Minutes() })
	}
	// Mean page duration: total seconds over total requests, per bucket.
	page := only(collector.TagClass, collector.ClassPage)
	secs := agg(collector.MeasRequestDuration, collector.FieldDurationSumSeconds, sum, byInterval, collector.TagENT, page)
	count := agg(collector.MeasRequestDuration, collector.FieldDurationCount, sum, byInterval, collector.TagENT, page)
	o[QueryPageDurationMean] = func(w window) series {
		s, c := secs(w), count(w)
		out := series{}
		for key, buckets := range s {
			for ts, v := range buckets {
				out.add(key, ts, v/c[key][ts])
			}
		}
		return out
	}
	for _, p := range collector.Profiles() {
		prof := onENT(collector.TagProfile, p)
		o[fmt.Sprintf(QueryDailyVisitsByProfile, p)] = agg(traffic, f, sum, daily, "", prof)
		o[fmt.Sprintf(QueryVisitsByProfileTotal, p)] = agg(traffic, f, sum, nil, "", prof)
		o[fmt.Sprintf(QueryServicePageViewsByProfile, p)] = agg(collector.MeasService, pv, sum, byInterval, "", prof)
		o[fmt.Sprintf(QueryServiceProfilePageViewTotal, p)] = agg(collector.MeasService, pv, sum, nil, collector.TagService, prof)
	}
	for _, d := range departments() {
		dep := only(collector.TagDepartment, d.code)
		o[fmt.Sprintf(QueryDailyVisitsByDepartment, d.code)] = agg(traffic, f, sum, daily, "", dep)
		o[fmt.Sprintf(QueryDailyPageViewsByDepartment, d.code)] = agg(traffic, pv, sum, daily, "", dep)
		o[fmt.Sprintf(QueryDailyUniqueVisitorsByDepartment, d.code)] = agg(visitors, uv, sum, daily, "",
			only(collector.TagDepartment, d.code, collector.TagPeriod, collector.PeriodDay))
		o[fmt.Sprintf(QueryMonthUniqueVisitorsByDepartment, d.code)] = agg(visitors, uv, sum, nil, "",
			only(collector.TagDepartment, d.code, collector.TagPeriod, collector.PeriodMonth))
	}
	return o
}

func scale(s series, fn func(float64) float64) series {
	out := series{}
	for key, buckets := range s {
		for ts, v := range buckets {
			out.add(key, ts, fn(v))
		}
	}
	return out
}
