package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/entpipe/entpipe/dashboards/grafanatest"
	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// maxDataPoints is the number of points Grafana asks for; the frontend uses
// the panel's width in pixels, about 1000 for our panels.
const maxDataPoints = 1000

// influxMinInterval is the datasource's timeInterval (Datasources).
const influxMinInterval = time.Minute

// selections are the variable values the test looks at a board with: All
// (Grafana then sends every value), one ENT, one département's ENTs; one
// département for a board with that variable only.
func selections(b *Board) []map[string][]string {
	vars := variableQueries(b)
	_, hasDep := vars["department"]
	_, hasENT := vars["ent"]
	switch {
	case hasENT:
		return []map[string][]string{
			{"department": {"92", "78"}, "ent": {"ent92", "ecollege78", "oze78"}},
			{"department": {"92", "78"}, "ent": {"ent92"}},
			{"department": {"78"}, "ent": {"ecollege78", "oze78"}},
		}
	case hasDep:
		return []map[string][]string{{"department": {"92", "78"}}, {"department": {"92"}}}
	}
	return []map[string][]string{{}}
}

// windows are the ranges panel p of board b is looked at over: the board's
// own, and for a live board also a week, where $__interval is 10m rather
// than 1m; $__interval never goes below the panel's min interval (the
// breakdowns' ten minutes), else the datasource's.
func windows(t *testing.T, b *Board, p *dashboard.Panel) []grafanatest.Window {
	minInterval := influxMinInterval // the panel's own, else the datasource's
	if p.Interval != nil {
		d, err := time.ParseDuration(*p.Interval)
		if err != nil {
			t.Fatalf("%s / %s: interval %q: %v", *b.Uid, *p.Title, *p.Interval, err)
		}
		minInterval = d
	}
	ranges := [][2]string{{b.Time.From, b.Time.To}}
	if strings.HasPrefix(b.Time.From, "now") {
		ranges = append(ranges, [2]string{"now-7d", "now"})
	}
	var out []grafanatest.Window
	for _, r := range ranges {
		from, to, err := grafanatest.Range(r[0], r[1], fixtureNow)
		if err != nil {
			t.Fatal(err)
		}
		for _, vars := range selections(b) {
			out = append(out, grafanatest.Window{From: from, To: to, Vars: vars,
				Interval: grafanatest.Interval(from, to, minInterval, maxDataPoints)})
		}
	}
	return out
}

// TestIntegrationPanelQueries runs every InfluxQL target of every board,
// expanded as Grafana expands it for the board's range and for several
// selections of its variables (one value, several, All: a regular
// expression alternative), against a real influxd holding the fixture, and
// compares every returned value with the one computed in Go from the same
// fixture.
func TestIntegrationPanelQueries(t *testing.T) {
	s := influxtest.Start(t)
	points := fixture()
	writePoints(t, s.URL, s.Database, points)
	oracles := panelOracles(points)
	used := map[string]bool{}
	for _, b := range boards(t) {
		for _, p := range panels(b) {
			for _, target := range influxTargets(p) {
				oracle, ok := oracles[target.Query]
				if !ok {
					t.Errorf("%s / %s: no expected values for query %s", *b.Uid, *p.Title, target.Query)
					continue
				}
				used[target.Query] = true
				nonEmpty := false
				for _, w := range windows(t, b, p) {
					q, err := grafanatest.InfluxQL(target.Query, w)
					if err != nil {
						t.Fatal(err)
					}
					want := oracle(w)
					nonEmpty = nonEmpty || len(want) > 0
					got := resultSeries(t, s.MustQuery(q), strings.Contains(q, "GROUP BY time("))
					if diff := compareSeries(got, want); diff != "" {
						t.Errorf("%s / %s / %s (%v)\nquery: %s\n%s", *b.Uid, *p.Title, target.RefID, w.Vars, q, diff)
					}
				}
				if !nonEmpty {
					t.Errorf("%s / %s / %s: the fixture gives no value; the test would prove nothing", *b.Uid, *p.Title, target.RefID)
				}
			}
		}
	}
	for q := range oracles {
		if !used[q] {
			t.Errorf("expected values defined for a query no panel uses: %s", q)
		}
	}
}

// TestIntegrationVariableQueries runs the variables' SHOW TAG VALUES as
// Grafana does (the ENT list narrowed by the chosen départements) and
// compares them with the fixture's tags.
func TestIntegrationVariableQueries(t *testing.T) {
	s := influxtest.Start(t)
	writePoints(t, s.URL, s.Database, fixture())
	for _, c := range []struct {
		query string
		deps  []string
		want  []string
	}{
		{VarDepartments, nil, []string{"78", "92"}},
		{VarENTs, []string{"92", "78"}, []string{"ecollege78", "ent92", "oze78"}},
		{VarENTs, []string{"78"}, []string{"ecollege78", "oze78"}},
		{VarENTs, []string{"92"}, []string{"ent92"}},
		{VarEnseignoDepartments, nil, []string{"78", "92"}},
	} {
		q, err := grafanatest.InfluxQL(c.query, grafanatest.Window{Vars: map[string][]string{"department": c.deps}})
		if c.deps == nil {
			q, err = c.query, nil
		}
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, series := range s.MustQuery(q) {
			for _, row := range series.Values {
				got = append(got, row[1].(string))
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", q, got, c.want)
		}
	}
	for _, b := range boards(t) {
		for name, q := range variableQueries(b) {
			if !slices.Contains([]string{VarDepartments, VarENTs, VarEnseignoDepartments}, q) {
				t.Errorf("%s: variable %s has an untested query %s", *b.Uid, name, q)
			}
		}
	}
}

// resultSeries turns InfluxQL series into the comparable form; the series
// key is the values of its GROUP BY tags (seriesKey). Without GROUP BY
// time, InfluxQL stamps the one row with the range start: it is keyed 0, as
// expect does. (The series go through JSON because only the test helper
// influxtest, not the influx package, may be imported here.)
func resultSeries(t *testing.T, in any, byTime bool) series {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var raw []struct {
		Tags   map[string]string
		Values [][]any
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	out := series{}
	for _, s := range raw {
		key := seriesKey(s.Tags, sortedKeys(s.Tags))
		for _, row := range s.Values {
			if row[1] == nil {
				continue // fill(null)
			}
			v, err := row[1].(json.Number).Float64()
			if err != nil {
				t.Fatalf("value %v: %v", row[1], err)
			}
			if v == 0 {
				continue
			}
			var ms int64
			if byTime {
				ts, err := time.Parse(time.RFC3339, row[0].(string))
				if err != nil {
					t.Fatalf("time %v: %v", row[0], err)
				}
				ms = ts.UnixMilli()
			}
			out.add(key, ms, v)
		}
	}
	return out
}

// compareSeries reports every difference, with a relative tolerance for
// float sums.
func compareSeries(got, want series) string {
	var diffs []string
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	for _, key := range sortedKeys(keys) {
		for _, ts := range sortedTimes(got[key], want[key]) {
			g, gok := got[key][ts]
			w, wok := want[key][ts]
			if gok != wok || math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)) {
				diffs = append(diffs, fmt.Sprintf("series %q at %s: got %v (present %v), want %v (present %v)",
					key, time.UnixMilli(ts).UTC().Format(time.RFC3339), g, gok, w, wok))
			}
		}
	}
	if len(diffs) > 10 {
		diffs = append(diffs[:10], fmt.Sprintf("… and %d more", len(diffs)-10))
	}
	return strings.Join(diffs, "\n")
}

func sortedTimes(a, b map[int64]float64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, m := range []map[int64]float64{a, b} {
		for ts := range m {
			if !seen[ts] {
				seen[ts] = true
				out = append(out, ts)
			}
		}
	}
	slices.Sort(out)
	return out
}
