package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana-tools/sdk"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// maxDataPoints is the number of points Grafana asks for; the frontend uses
// the panel's width in pixels, about 1000 for our panels.
const maxDataPoints = 1000

// influxMinInterval is the datasource's timeInterval (Datasources).
const influxMinInterval = time.Minute

// window is one run of a panel query: the board's range made absolute, the
// $__interval Grafana computes for it, and the variable values.
type window struct {
	from, to time.Time
	interval time.Duration
	ent      string
}

// grafanaRange resolves a board's time range as Grafana does, with "now"
// pinned to fixtureNow.
func grafanaRange(t *testing.T, tr sdk.Time) (from, to time.Time) {
	parse := func(s string) time.Time {
		if s == "now" {
			return fixtureNow
		}
		if rel, ok := strings.CutPrefix(s, "now-"); ok {
			n, err := strconv.Atoi(rel[:len(rel)-1])
			if err != nil {
				t.Fatalf("time %q: %v", s, err)
			}
			unit := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[rel[len(rel)-1]]
			return fixtureNow.Add(-time.Duration(n) * unit)
		}
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatalf("time %q: %v", s, err)
		}
		return v
	}
	return parse(tr.From), parse(tr.To)
}

// grafanaInterval is Grafana's $__interval: range / maxDataPoints, rounded
// by its roundInterval table, never below the datasource's timeInterval.
func grafanaInterval(from, to time.Time) time.Duration {
	calc := to.Sub(from) / maxDataPoints
	if calc < influxMinInterval {
		calc = influxMinInterval
	}
	steps := []struct{ upTo, to time.Duration }{ // Grafana's gtime/interval.roundInterval from 1 minute up
		{90 * time.Second, time.Minute}, {210 * time.Second, 2 * time.Minute}, {450 * time.Second, 5 * time.Minute},
		{750 * time.Second, 10 * time.Minute}, {1050 * time.Second, 15 * time.Minute}, {1500 * time.Second, 20 * time.Minute},
		{2700 * time.Second, 30 * time.Minute}, {5400 * time.Second, time.Hour}, {9000 * time.Second, 2 * time.Hour},
		{16200 * time.Second, 3 * time.Hour}, {32400 * time.Second, 6 * time.Hour}, {24 * time.Hour, 12 * time.Hour},
		{7 * 24 * time.Hour, 24 * time.Hour}, {21 * 24 * time.Hour, 7 * 24 * time.Hour},
	}
	for _, s := range steps {
		if calc <= s.upTo {
			return s.to
		}
	}
	return 30 * 24 * time.Hour
}

// formatInterval is Grafana's gtime.FormatInterval.
func formatInterval(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// expand does what Grafana does to a raw InfluxQL query before sending it:
// the frontend replaces the board variables, then the backend
// (pkg/tsdb/influxdb/models/query.go, Build) replaces $timeFilter,
// $interval, $__interval_ms and $__interval, in that order.
func expand(q string, w window) string {
	q = strings.ReplaceAll(q, "$ent", w.ent)
	q = strings.ReplaceAll(q, "$timeFilter", fmt.Sprintf("time >= %dms and time <= %dms", w.from.UnixMilli(), w.to.UnixMilli()))
	q = strings.ReplaceAll(q, "$interval", formatInterval(w.interval))
	q = strings.ReplaceAll(q, "$__interval_ms", strconv.FormatInt(w.interval.Milliseconds(), 10))
	return strings.ReplaceAll(q, "$__interval", formatInterval(w.interval))
}

// TestIntegrationPanelQueries runs every InfluxQL target of every board,
// expanded as Grafana expands it for the board's range and for each value
// of $ent, against a real influxd holding the fixture, and compares every
// returned value with the one computed in Go from the same fixture.
func TestIntegrationPanelQueries(t *testing.T) {
	s := influxtest.Start(t)
	points := fixture()
	writePoints(t, s.URL, s.Database, points)
	oracles := panelOracles(points)
	used := map[string]bool{}
	for _, b := range All() {
		ranges := []sdk.Time{b.Time}
		if strings.HasPrefix(b.Time.From, "now") {
			// A live board is also looked at over a week, where
			// $__interval is 10m rather than the minimum 1m.
			ranges = append(ranges, sdk.Time{From: "now-7d", To: "now"})
		}
		ents := []string{""}
		for _, v := range b.Templating.List {
			if v.Name == "ent" {
				ents = nil
				for _, o := range v.Options {
					ents = append(ents, o.Value)
				}
			}
		}
		for _, p := range b.Panels {
			for _, target := range panelTargets(p) {
				if target.Datasource != InfluxUID {
					continue
				}
				oracle, ok := oracles[target.Query]
				if !ok {
					t.Errorf("%s / %s: no expected values for query %s", b.UID, p.Title, target.Query)
					continue
				}
				used[target.Query] = true
				nonEmpty := false
				for _, r := range ranges {
					from, to := grafanaRange(t, r)
					for _, ent := range ents {
						w := window{from: from, to: to, interval: grafanaInterval(from, to), ent: ent}
						q := expand(target.Query, w)
						want := oracle(w)
						nonEmpty = nonEmpty || len(want) > 0
						got := resultSeries(t, s.MustQuery(q), strings.Contains(q, "GROUP BY time("))
						if diff := compareSeries(got, want); diff != "" {
							t.Errorf("%s / %s / %s (ent=%q)\nquery: %s\n%s", b.UID, p.Title, target.RefID, ent, q, diff)
						}
					}
				}
				if !nonEmpty {
					t.Errorf("%s / %s / %s: the fixture gives no value; the test would prove nothing", b.UID, p.Title, target.RefID)
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

// panelTargets returns a panel's targets whatever its type.
func panelTargets(p *sdk.Panel) []sdk.Target {
	if p.CustomPanel != nil {
		ts, _ := (*p.CustomPanel)["targets"].([]sdk.Target)
		return ts
	}
	if ts := p.GetTargets(); ts != nil {
		return *ts
	}
	return nil
}

// resultSeries turns InfluxQL series into the comparable form; with a
// single GROUP BY tag, the series key is its value. Without GROUP BY time,
// InfluxQL stamps the one row with the range start: it is keyed 0, as
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
		if len(s.Tags) > 1 {
			t.Fatalf("series with tags %v: the comparison keys series by one tag", s.Tags)
		}
		key := ""
		for _, v := range s.Tags {
			key = v
		}
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
	for _, key := range sortedKeys(union(got, want)) {
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

func union(a, b series) map[string]bool {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
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
