package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/cmd/entpipe/internal/simulate"
	"github.com/entpipe/entpipe/dashboards"
	"github.com/entpipe/entpipe/dashboards/grafanatest"
	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// TestDashboardsExport: the command writes exactly the committed boards.
func TestDashboardsExport(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "dashboards", "export", "-out", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	paths := strings.Fields(out)
	golden, _ := filepath.Glob("../../deploy/grafana/dashboards/*.json")
	if len(paths) != 7 || len(golden) != 7 {
		t.Fatalf("exported %v, committed %v", paths, golden)
	}
	for _, g := range golden {
		want, _ := os.ReadFile(g)
		got, err := os.ReadFile(filepath.Join(dir, filepath.Base(g)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from a fresh export (%v): run entpipe dashboards export -out deploy/grafana/dashboards", g, err)
		}
	}
}

func TestDashboardsUsage(t *testing.T) {
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	closed := influxtest.NewProxy(t, "").URL // refuses connections on a port the test holds
	f := func(wantCode int, wantErr string, args ...string) {
		t.Helper()
		code, _, errOut := runCLI(t, append([]string{"dashboards"}, args...)...)
		if code != wantCode || !strings.Contains(errOut, wantErr) {
			t.Errorf("entpipe dashboards %v: exit %d, want %d with %q\nstderr: %s", args, code, wantCode, wantErr, errOut)
		}
	}
	f(exitUsage, "Usage: entpipe dashboards export|provision")
	f(exitOK, "Usage: entpipe dashboards export|provision", "-help")
	f(exitUsage, `unknown subcommand "nope"`, "nope")
	f(exitUsage, "Usage: entpipe dashboards export -out DIR", "export")
	f(exitUsage, "Usage: entpipe dashboards provision", "provision", "-grafana-url", closed)
	f(exitUsage, "-token-file", "provision", "-grafana-url", closed, "-token-file", token+".missing")
	f(exitRuntime, "grafana unreachable at", "provision", "-grafana-url", closed, "-token-file", token)
}

// boardsQuery returns the first InfluxQL target of the board titled board
// whose query is q: the shapes below are checked on what the board really
// sends, not on a copy.
func boardsQuery(t *testing.T, board, q string) (*dashboards.Board, dashboards.InfluxQuery) {
	t.Helper()
	all, err := dashboards.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range all {
		for _, p := range b.Panels {
			for _, tg := range p.Panel.Targets {
				if iq, ok := tg.(dashboards.InfluxQuery); ok && *b.Title == board && iq.Query == q {
					return b, iq
				}
			}
		}
	}
	t.Fatalf("board %q has no panel querying %s", board, q)
	return nil, dashboards.InfluxQuery{}
}

// runBoardQuery runs a board's target against s the way Grafana sends it,
// over the board's own range with vars, and returns each series' values by
// Paris time.
func runBoardQuery(t *testing.T, s *influxtest.Server, board, q string, vars map[string][]string) map[string]map[time.Time]float64 {
	t.Helper()
	b, target := boardsQuery(t, board, q)
	from, to, err := grafanatest.Range(b.Time.From, b.Time.To, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	expanded, err := grafanatest.InfluxQL(target.Query, grafanatest.Window{From: from, To: to, Vars: vars,
		Interval: grafanatest.Interval(from, to, time.Minute, 1000)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[time.Time]float64{}
	for _, series := range s.MustQuery(expanded) {
		key := strings.Join(slices.Sorted(maps.Values(series.Tags)), "/")
		out[key] = map[time.Time]float64{}
		for _, row := range series.Values {
			ts, err := time.Parse(time.RFC3339, row[0].(string))
			if err != nil {
				t.Fatal(err)
			}
			v, err := row[1].(json.Number).Float64()
			if err != nil {
				t.Fatal(err)
			}
			out[key][ts.In(paris(t))] = v
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no data for %s", board, expanded)
	}
	return out
}

func paris(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestIntegrationDashboardsBulletinShapes imports the simulated bulletin
// scenario of March 2020 (three ENTs, at 0.3 % of the bulletin's volume)
// through `entpipe import` into a real influxd, runs the bulletin boards'
// queries as Grafana sends them (variables, $timeFilter, $__interval) and
// checks the shapes a director reads off the bulletin: the morning peak
// of Monday 30 March, weekdays above weekends, the surge from 16 March.
func TestIntegrationDashboardsBulletinShapes(t *testing.T) {
	skipShort(t, "simulates and imports a month")
	s := influxtest.Start(t)
	dir := simulated(t, s, s.URL, simulate.Options{From: civilDay(2020, 3, 2), To: civilDay(2020, 3, 31), Scale: 0.003, Seed: 1})
	for _, e := range simulate.ENTs() {
		logs, err := filepath.Glob(filepath.Join(dir, "logs", e.Name, "access.log-*"))
		if err != nil || len(logs) == 0 {
			t.Fatalf("simulated logs of %s: %v %v", e.Name, logs, err)
		}
		var out, errOut bytes.Buffer
		code := run(t.Context(), append([]string{"import", "-config", filepath.Join(dir, "entpipe.yaml"), "-source", e.Name,
			"-progress", "never", "-log.level", "error"}, logs...), &stdio{in: strings.NewReader(""), out: &out, err: &errOut})
		if code != exitOK {
			t.Fatalf("import %s: exit %d\n%s%s", e.Name, code, &out, &errOut)
		}
	}
	all := map[string][]string{"department": {"92", "78"}, "ent": {"ent92", "ecollege78", "oze78"}}

	// 30 March, ENT 92: the morning assignments make the busiest hour fall
	// between 8 and 12, and the night is quiet.
	hours := map[int]float64{}
	for _, q := range []string{dashboards.QueryIntradayVisits, dashboards.QueryIntradayPageViews} {
		clear(hours)
		for ts, v := range runBoardQuery(t, s, "Niveau d'accès à l'ENT sur une journée", q,
			map[string][]string{"department": {"92"}, "ent": {"ent92"}})[""] {
			hours[ts.Hour()] += v
		}
		peak := 0
		for h, v := range hours {
			if v > hours[peak] {
				peak = h
			}
		}
		night := hours[1] + hours[2] + hours[3] + hours[4]
		t.Logf("30 March, ENT 92 (%s…): busiest hour %dh with %v, night 1–5h %v", q[:30], peak, hours[peak], night)
		if peak < 8 || peak >= 12 || night*10 > hours[peak] {
			t.Errorf("30 March, ENT 92 (%s): busiest hour %dh, night 1–5h %v against %v at the peak; want a morning peak",
				q[:30], peak, night, hours[peak])
		}
	}

	// March by département: each week's weekdays above its weekend days,
	// and weekdays from Monday 16 March at least 1.5 times those before.
	for dep, days := range runBoardQuery(t, s, "Évolution du nombre de visites et de pages vues", dashboards.QueryDailyVisitsByDepartment, all) {
		weeks := map[int][2][]float64{} // ISO week → weekdays, weekend days
		var before, after []float64
		for day, v := range days {
			_, week := day.ISOWeek()
			w := weeks[week]
			weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday
			if weekend {
				w[1] = append(w[1], v)
			} else {
				w[0] = append(w[0], v)
				if day.Before(time.Date(2020, 3, 16, 0, 0, 0, 0, paris(t))) {
					before = append(before, v)
				} else {
					after = append(after, v)
				}
			}
			weeks[week] = w
		}
		for week, w := range weeks {
			if len(w[0]) > 0 && len(w[1]) > 0 && slices.Min(w[0]) <= slices.Max(w[1]) {
				t.Errorf("département %s, week %d: weekdays %v not all above the weekend %v", dep, week, w[0], w[1])
			}
		}
		mean := func(xs []float64) float64 {
			sum := 0.0
			for _, x := range xs {
				sum += x
			}
			return sum / float64(len(xs))
		}
		t.Logf("département %s: mean weekday visits %.0f before 16 March, %.0f after; %d weeks", dep, mean(before), mean(after), len(weeks))
		if len(before) < 8 || len(after) < 10 || mean(after) < 1.5*mean(before) {
			t.Errorf("département %s: weekday visits %v before 16 March, %v after; want the lockdown surge (×1.5 at least)", dep, before, after)
		}
	}
}
