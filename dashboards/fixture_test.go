package dashboards

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// fpoint is one fixture point, kept in memory so that expected values are
// computed from it in Go, independently of InfluxQL.
type fpoint struct {
	meas   string
	tags   map[string]string
	fields map[string]float64
	t      time.Time
}

// isFloatField says which fields are written as floats; every other field
// is an integer, as docs/design.md#influxdb-schema says.
func isFloatField(f string) bool {
	switch f {
	case collector.FieldCPUUtilization, collector.FieldMemoryUtilization, collector.FieldLoad1PerCore,
		collector.FieldNetReceiveBps, collector.FieldNetTransmitBps, collector.FieldTutoringHours,
		collector.FieldDurationSeconds, collector.FieldDurationSumSeconds:
		return true
	}
	return false
}

// point is the fixture point as a collector would emit it, its fields
// typed as the schema says, for collector.AppendLine to encode.
func (p fpoint) point() collector.Point {
	fields := make(map[string]any, len(p.fields))
	for k, v := range p.fields {
		if isFloatField(k) {
			fields[k] = v
		} else {
			fields[k] = int64(v)
		}
	}
	return collector.Point{Measurement: p.meas, Tags: p.tags, Fields: fields, Time: p.t}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// writePoints sends the fixture through the 1.x /write endpoint.
func writePoints(t *testing.T, baseURL, db string, points []fpoint) {
	t.Helper()
	for start := 0; start < len(points); start += 5000 {
		var body []byte
		for _, p := range points[start:min(start+5000, len(points))] {
			var err error
			if body, err = collector.AppendLine(body, p.point()); err != nil {
				t.Fatal(err)
			}
			body = append(body, '\n')
		}
		u := baseURL + "/write?" + url.Values{"db": {db}, "precision": {"ns"}}.Encode()
		resp, err := http.Post(u, "text/plain", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("write fixture: %s", resp.Status)
		}
	}
}

var paris = mustLoad("Europe/Paris")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// parisDay returns the Paris midnight starting t's Paris day.
func parisDay(t time.Time) time.Time {
	y, m, d := t.In(paris).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, paris)
}

// fixtureNow is the "now" of the live boards' relative ranges in the test:
// fixed, so the fixture and the expected values never depend on the clock.
var fixtureNow = time.Date(2020, 3, 31, 10, 0, 0, 0, time.UTC)

type fixtureENT struct{ slug, department string }

func fixtureENTs() []fixtureENT {
	return []fixtureENT{{"ent92", "92"}, {"ecollege78", "78"}, {"oze78", "78"}}
}

// fixture generates realistic buckets: minute traffic and open visits on
// 30 March 2020, sparse traffic and daily unique visitors over the school
// year, Enseigno days, host load, probes, request durations and services
// around fixtureNow, plus points just outside every range.
func fixture() []fpoint {
	r := rand.New(rand.NewPCG(2020, 330))
	var out []fpoint
	add := func(meas string, t time.Time, tags map[string]string, fields map[string]float64) {
		out = append(out, fpoint{meas, tags, fields, t.UTC()})
	}
	site := func(e fixtureENT, kv ...string) map[string]string {
		m := map[string]string{collector.TagDepartment: e.department, collector.TagENT: e.slug}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	n := func(max int) float64 { return float64(r.IntN(max)) }
	traffic := func(e fixtureENT, t time.Time, profile string) {
		add(collector.MeasTraffic, t, site(e, collector.TagProfile, profile),
			map[string]float64{collector.FieldVisits: n(20), collector.FieldPageViews: n(300)})
	}
	ents := fixtureENTs()
	// 30 March 2020 (Paris) minute by minute, one minute before and after.
	day := time.Date(2020, 3, 30, 0, 0, 0, 0, paris)
	for m := -1; m <= 24*60; m++ {
		t := day.Add(time.Duration(m) * time.Minute)
		for i, e := range ents[:2] {
			if i == 1 && m%7 != 0 {
				continue
			}
			for _, p := range collector.Profiles() {
				if r.IntN(2) == 0 {
					traffic(e, t, p)
				}
			}
			add(collector.MeasActive, t, site(e), map[string]float64{collector.FieldOpenVisits: n(5000)})
		}
	}
	// The school year: a few buckets a day at random Paris minutes
	// (some near midnight), and the daily unique visitors.
	for d := time.Date(2019, 9, 1, 0, 0, 0, 0, paris); d.Before(time.Date(2020, 7, 6, 0, 0, 0, 0, paris)); d = d.AddDate(0, 0, 1) {
		for _, e := range ents {
			for _, p := range collector.Profiles() {
				traffic(e, d.Add(time.Duration(r.IntN(24*60))*time.Minute), p)
				traffic(e, d.Add(time.Duration(r.IntN(10))*time.Minute), p) // 00:00–00:09 Paris
				add(collector.MeasVisitors, d, site(e, collector.TagProfile, p, collector.TagPeriod, collector.PeriodDay),
					map[string]float64{collector.FieldUniqueVisitors: n(9000)})
			}
		}
	}
	for _, month := range []time.Time{time.Date(2020, 2, 1, 0, 0, 0, 0, paris), time.Date(2020, 3, 1, 0, 0, 0, 0, paris)} {
		for _, e := range ents {
			for _, p := range collector.Profiles() {
				add(collector.MeasVisitors, month, site(e, collector.TagProfile, p, collector.TagPeriod, collector.PeriodMonth),
					map[string]float64{collector.FieldUniqueVisitors: n(90000)})
				add(collector.MeasVisitors, month.AddDate(0, 0, 1), site(e, collector.TagProfile, p, collector.TagPeriod, collector.PeriodWeek),
					map[string]float64{collector.FieldUniqueVisitors: n(50000)})
			}
		}
	}
	// Enseigno, January to April 2020, both départements.
	for d := time.Date(2020, 1, 30, 0, 0, 0, 0, paris); d.Before(time.Date(2020, 4, 3, 0, 0, 0, 0, paris)); d = d.AddDate(0, 0, 1) {
		for _, dep := range []string{"92", "78"} {
			for _, disc := range []string{collector.DisciplineAll, "maths", "francais", "anglais", "histoire"} {
				add(collector.MeasEnseigno, d, map[string]string{collector.TagDepartment: dep, collector.TagDiscipline: disc},
					map[string]float64{
						collector.FieldActivatedAccounts: n(6000), collector.FieldSessions: n(1000),
						collector.FieldTutoringHours: n(800) / 4, collector.FieldCourseSheets: n(1000), collector.FieldExercises: n(3000),
					})
			}
		}
	}
	// Live data: the 26 hours before fixtureNow and 2 hours after.
	for t := fixtureNow.Add(-26 * time.Hour); t.Before(fixtureNow.Add(2 * time.Hour)); t = t.Add(time.Minute) {
		for _, host := range []string{"web1", "web2"} {
			add(collector.MeasInfraLoad, t, site(ents[0], collector.TagHost, host), map[string]float64{
				collector.FieldCPUUtilization: n(1000) / 1000, collector.FieldMemoryUtilization: n(1000) / 1000,
				collector.FieldLoad1PerCore: n(300) / 100, collector.FieldNetReceiveBps: n(1e8), collector.FieldNetTransmitBps: n(1e8),
				collector.FieldHTTPConnections: n(4000),
			})
		}
		add(collector.MeasProbe, t, site(ents[0], collector.TagTarget, "ent92-accueil"), map[string]float64{
			collector.FieldSuccess: float64(min(1, r.IntN(20))), collector.FieldDurationSeconds: n(4000) / 1000, collector.FieldStatusCode: 200,
		})
		for _, e := range ents[:2] {
			for _, class := range []string{collector.ClassPage, collector.ClassStatic} {
				if !t.Equal(t.Truncate(collector.BreakdownBucket)) {
					break // breakdowns are by ten minutes
				}
				add(collector.MeasRequestDuration, t, site(e, collector.TagClass, class), map[string]float64{
					collector.FieldDurationCount: 1 + n(500), collector.FieldDurationSumSeconds: n(40000) / 100,
				})
			}
		}
	}
	// Services over the last 8 days, every ten-minute block.
	for t := fixtureNow.Add(-8 * 24 * time.Hour).Truncate(collector.BreakdownBucket); t.Before(fixtureNow.Add(time.Hour)); t = t.Add(collector.BreakdownBucket) {
		for _, e := range []fixtureENT{ents[0], ents[2]} {
			for _, svc := range []string{"messagerie", "cahier_textes", "vie_scolaire"} {
				p := collector.Profiles()[r.IntN(len(collector.Profiles()))]
				add(collector.MeasService, t, site(e, collector.TagProfile, p, collector.TagService, svc),
					map[string]float64{collector.FieldPageViews: 1 + n(100)})
			}
		}
	}
	return upsert(out)
}

// upsert keeps the last of points sharing series and time, as InfluxDB does.
func upsert(points []fpoint) []fpoint {
	index := map[string]int{}
	var out []fpoint
	for _, p := range points {
		key := fmt.Sprint(p.meas, p.tags, p.t.UnixNano()) // fmt prints a map in key order
		if i, ok := index[key]; ok {
			out[i] = p
			continue
		}
		index[key] = len(out)
		out = append(out, p)
	}
	return out
}

// series are query results or expectations: series key (the GROUP BY tag
// values, seriesKey; "" without) → bucket start in Unix ms (0 without GROUP BY
// time) → value. Zeros are dropped: fill(0) writes them, the fixture is
// silent about them.
type series map[string]map[int64]float64

func (s series) add(key string, t int64, v float64) {
	if s[key] == nil {
		s[key] = map[int64]float64{}
	}
	s[key][t] = v
}

// aggregation of one field over the fixture, the way the panel defines it.
type aggregation struct {
	meas, field string
	keep        func(tags map[string]string) bool
	bucket      func(time.Time) time.Time // nil: one value for the range
	groupBy     []string                  // tag keys, in any order
	fn          string                    // sum, max, mean
}

// expect computes an aggregation over the points in [from, to].
func expect(points []fpoint, a aggregation, from, to time.Time) series {
	type acc struct{ sum, max, n float64 }
	accs := map[string]map[int64]*acc{}
	for _, p := range points {
		v, ok := p.fields[a.field]
		if p.meas != a.meas || !ok || p.t.Before(from) || p.t.After(to) || (a.keep != nil && !a.keep(p.tags)) {
			continue
		}
		var b int64
		if a.bucket != nil {
			b = a.bucket(p.t).UnixMilli()
		}
		key := seriesKey(p.tags, a.groupBy)
		if accs[key] == nil {
			accs[key] = map[int64]*acc{}
		}
		c := accs[key][b]
		if c == nil {
			c = &acc{max: math.Inf(-1)}
			accs[key][b] = c
		}
		c.sum, c.n, c.max = c.sum+v, c.n+1, math.Max(c.max, v)
	}
	out := series{}
	for key, buckets := range accs {
		for b, c := range buckets {
			v := map[string]float64{"sum": c.sum, "max": c.max, "mean": c.sum / c.n}[a.fn]
			if v != 0 {
				out.add(key, b, v)
			}
		}
	}
	return out
}

// seriesKey names a series by the values of its GROUP BY tags, in the
// order of their keys, as resultSeries does.
func seriesKey(tags map[string]string, keys []string) string {
	var vals []string
	for _, k := range slices.Sorted(slices.Values(keys)) {
		vals = append(vals, tags[k])
	}
	return strings.Join(vals, "/")
}

// tagIs keeps points whose tags have every given key=value pair; a value
// starting with "!" excludes it instead.
func tagIs(kv ...string) func(map[string]string) bool {
	return func(tags map[string]string) bool {
		for i := 0; i < len(kv); i += 2 {
			if v, neg := strings.CutPrefix(kv[i+1], "!"); neg {
				if tags[kv[i]] == v {
					return false
				}
			} else if tags[kv[i]] != kv[i+1] {
				return false
			}
		}
		return true
	}
}
