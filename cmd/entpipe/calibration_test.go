package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/cmd/entpipe/internal/simulate"
	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
	"github.com/entpipe/entpipe/collector/entlog"
)

// calibrationScale keeps the calibration import small (about 60,000 lines
// on a lockdown day of ENT 92); the simulator's volumes are linear in it.
const calibrationScale = 0.02

// importedDay is what entpipe's own import made of one simulated day of
// ENT 92: the points InfluxDB would hold (upserts applied) and the summary.
type importedDay struct {
	day     time.Time // civil date
	points  map[string]collector.Point
	visits  int64 // summary of the import
	results map[string]int64
}

// simulateAndImport generates one day of ENT 92 with the bulletin scenario
// and imports it through the path `entpipe import` takes (generated
// configuration, loadConfig, deps, entlog source) into a Recorder.
func simulateAndImport(t *testing.T, day time.Time) importedDay {
	t.Helper()
	out := filepath.Join(t.TempDir(), day.Format("20060102"))
	_, err := simulate.Run(t.Context(), simulate.Options{Out: out, From: day, To: day, Scale: calibrationScale,
		Seed: 1, ENTs: []string{"ent92"}, InfluxURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatalf("simulate %s: %v", day.Format(time.DateOnly), err)
	}
	paths, err := filepath.Glob(filepath.Join(out, "logs", "ent92", "access.log-*"))
	if err != nil || len(paths) != 1 {
		t.Fatalf("simulated logs of %s: %v %v", day.Format(time.DateOnly), paths, err)
	}
	sum, points := recordImport(t, filepath.Join(out, "entpipe.yaml"), "ent92", paths)
	return importedDay{day: day, points: points, visits: sum.Visits, results: sum.Results}
}

// recordImport imports paths as the configuration's source, the way
// `entpipe import` builds it (loadConfig, deps, entlog source), into a
// Recorder; it returns the summary and the points InfluxDB would hold (the
// last write of a series-time wins, as an upsert).
func recordImport(tb testing.TB, config, source string, paths []string) (entlog.Summary, map[string]collector.Point) {
	tb.Helper()
	cfg, err := loadConfig(config)
	if err != nil {
		tb.Fatal(err)
	}
	src, err := pickSource(cfg, source)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := newDeps(cfg, collector.NewStats(), slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	e, err := d.entlog(src)
	if err != nil {
		tb.Fatal(err)
	}
	rec := &collectortest.Recorder{}
	sum, err := e.Import(context.Background(), rec, paths, nil, nil)
	if err != nil {
		tb.Fatalf("import %v: %v", paths, err)
	}
	points := map[string]collector.Point{}
	for _, p := range rec.Points() {
		key, _ := collectortest.Line(p)
		points[key] = p
	}
	return sum, points
}

// sum adds up an integer field of the points of a measurement that match
// the tags (nil: all), with times in [from, to).
func (d importedDay) sum(meas, field string, tags map[string]string, from, to time.Time) (n int64) {
	for _, p := range d.points {
		if p.Measurement != meas || p.Time.Before(from) || !p.Time.Before(to) || !hasTags(p, tags) {
			continue
		}
		v, ok := p.Fields[field].(int64)
		if ok {
			n += v
		}
	}
	return n
}

func hasTags(p collector.Point, tags map[string]string) bool {
	for k, v := range tags {
		if p.Tags[k] != v {
			return false
		}
	}
	return true
}

// bounds returns the UTC instants of the Paris midnights around the day.
func (d importedDay) bounds(t *testing.T) (time.Time, time.Time) {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	y, m, dd := d.day.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc).UTC(), time.Date(y, m, dd+1, 0, 0, 0, 0, loc).UTC()
}

// visits is the day's ent_traffic visits, for one profile or all ("").
func (d importedDay) visitsOf(t *testing.T, profile string) int64 {
	from, to := d.bounds(t)
	var tags map[string]string
	if profile != "" {
		tags = map[string]string{collector.TagProfile: profile}
	}
	return d.sum(collector.MeasTraffic, collector.FieldVisits, tags, from, to)
}

func civilDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestCalibration checks the simulated bulletin scenario as entpipe sees
// it (issue 9): the simulator's ENT 92 logs, imported by entlog with the
// generated configuration, give the bulletin's lockdown surge, profile mix,
// quiet holidays, a clean 23-hour DST day and about 180,000 visits a day at
// full scale.
func TestCalibration(t *testing.T) {
	days := map[string]importedDay{}
	for name, day := range map[string]time.Time{
		"lockdown":   civilDay(2020, 3, 30), // Monday, third week of the closure
		"school-mar": civilDay(2020, 3, 10), // Tuesday before the closure
		"school-feb": civilDay(2020, 2, 4),  // Tuesday before the winter holidays
		"holiday":    civilDay(2020, 2, 11), // Tuesday of the zone C winter holidays
		"dst":        civilDay(2020, 3, 29), // Sunday, 23 hours
	} {
		days[name] = simulateAndImport(t, day)
	}
	for name, d := range days {
		from, to := d.bounds(t)
		if got := d.sum(collector.MeasTraffic, collector.FieldVisits, nil, time.Time{}, time.Now()); got != d.visits {
			t.Errorf("%s: ent_traffic holds %d visits, the import counted %d", name, got, d.visits)
		}
		if out := d.sum(collector.MeasTraffic, collector.FieldVisits, nil, time.Time{}, from) +
			d.sum(collector.MeasTraffic, collector.FieldVisits, nil, to, time.Now()); out != 0 {
			t.Errorf("%s: %d visits outside the Paris day [%s, %s)", name, out, from, to)
		}
	}

	lock, school := days["lockdown"], days["school-mar"]
	full := float64(lock.visitsOf(t, "")) / calibrationScale
	t.Logf("ENT 92 visits/day extrapolated to scale 1: lockdown %.0f, school (10 Mar) %.0f, school (4 Feb) %.0f, holiday %.0f, DST Sunday %.0f",
		full, float64(school.visitsOf(t, ""))/calibrationScale, float64(days["school-feb"].visitsOf(t, ""))/calibrationScale,
		float64(days["holiday"].visitsOf(t, ""))/calibrationScale, float64(days["dst"].visitsOf(t, ""))/calibrationScale)
	if full < 165_000 || full > 195_000 {
		t.Errorf("ENT 92 on 30 March 2020: %.0f visits a day at scale 1, want near 180,000", full)
	}
	if r := float64(lock.visitsOf(t, "")) / float64(school.visitsOf(t, "")); r < 1.7 || r > 2.4 {
		t.Errorf("lockdown / school weekday visits = %.2f, want about 2 (the bulletin's surge)", r)
	}
	if r := float64(days["holiday"].visitsOf(t, "")) / float64(days["school-feb"].visitsOf(t, "")); r > 0.45 {
		t.Errorf("holiday / school weekday visits = %.2f, want a quiet holiday (< 0.45)", r)
	}

	shares := map[string][2]float64{
		collector.ProfileEleve: {0.55, 0.72}, collector.ProfileParent: {0.13, 0.25},
		collector.ProfileEnseignant: {0.08, 0.16}, collector.ProfilePersonnel: {0.01, 0.04},
		collector.ProfileAnonyme: {0.01, 0.06},
	}
	var report []string
	for p, want := range shares {
		s := float64(lock.visitsOf(t, p)) / float64(lock.visitsOf(t, ""))
		report = append(report, fmt.Sprintf("%s %.3f", p, s))
		if s < want[0] || s > want[1] {
			t.Errorf("profile %s: %.3f of the lockdown day's visits, want in [%.2f, %.2f]", p, s, want[0], want[1])
		}
	}
	t.Logf("lockdown profile shares: %s", strings.Join(report, ", "))
	if lock.visitsOf(t, collector.ProfileEleve) <= 2*lock.visitsOf(t, collector.ProfileParent) {
		t.Errorf("pupils do not dominate: %d pupil visits, %d parent visits",
			lock.visitsOf(t, collector.ProfileEleve), lock.visitsOf(t, collector.ProfileParent))
	}
	if lock.results[collector.ResultParsed] == 0 || len(lock.results) < 2 {
		t.Errorf("lockdown day results %v: want parsed lines and a few malformed ones", lock.results)
	}

	checkDSTDay(t, days["dst"])
}

// checkDSTDay: 29 March 2020 lasts 23 hours in Paris. The simulator's
// health probe hits /healthz once a minute, so entpipe must hold exactly ten
// health requests in each of the day's 138 ten-minute blocks, none missing
// (the skipped 02:00–03:00 local hour is not a gap in UTC) and none counted
// twice; the day's visitor total is stamped at local midnight (+01:00).
func checkDSTDay(t *testing.T, d importedDay) {
	t.Helper()
	from, to := d.bounds(t)
	if hours := to.Sub(from).Hours(); hours != 23 {
		t.Fatalf("29 March 2020 lasts %v hours in Europe/Paris, want 23", hours)
	}
	perBlock := map[time.Time]int64{}
	for _, p := range d.points {
		if p.Measurement == collector.MeasRequests && p.Tags[collector.TagClass] == collector.ClassHealth {
			perBlock[p.Time] += p.Fields[collector.FieldRequests].(int64)
		}
	}
	if len(perBlock) != 138 {
		t.Errorf("health requests in %d distinct ten-minute blocks on 29 March 2020, want 138 (23 hours)", len(perBlock))
	}
	for b := from; b.Before(to); b = b.Add(collector.BreakdownBucket) {
		if n := perBlock[b]; n != int64(collector.BreakdownBucket/time.Minute) {
			t.Errorf("health requests in the block of %s: %d, want one a minute", b.Format(time.RFC3339), n)
		}
	}
	var dayTotals []time.Time
	for _, p := range d.points {
		if p.Measurement == collector.MeasVisitors && p.Tags[collector.TagPeriod] == collector.PeriodDay {
			dayTotals = append(dayTotals, p.Time)
		}
	}
	for _, ts := range dayTotals {
		if !ts.Equal(from) {
			t.Errorf("ent_visitors period=day stamped %s, want the Paris midnight %s", ts.Format(time.RFC3339), from.Format(time.RFC3339))
		}
	}
	if len(dayTotals) == 0 {
		t.Error("no ent_visitors period=day point for 29 March 2020")
	}
}
