package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

func pt(meas string, tags map[string]string, fields map[string]any, at time.Time) collector.Point {
	return collector.Point{Measurement: meas, Tags: tags, Fields: fields, Time: at}
}

func site(ent, dep string, kv ...string) map[string]string {
	m := map[string]string{collector.TagENT: ent, collector.TagDepartment: dep}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// seed writes the test's points: a busy morning and a quiet night on
// 30 March 2020 (the night under the small-cell threshold), daily unique
// visitors, Enseigno usage of both départements and services.
func seed(t *testing.T, s *influxtest.Server, paris *time.Location) {
	t.Helper()
	day := time.Date(2020, 3, 30, 0, 0, 0, 0, paris)
	var pts []collector.Point
	traffic := func(at time.Time, profile string, visits, views int64) {
		pts = append(pts, pt(collector.MeasTraffic, site("ent92", "92", collector.TagProfile, profile),
			map[string]any{collector.FieldVisits: visits, collector.FieldPageViews: views}, at))
	}
	active := func(at time.Time, open int64) {
		pts = append(pts, pt(collector.MeasActive, site("ent92", "92"), map[string]any{collector.FieldOpenVisits: open}, at))
	}
	for m := range 60 { // 08:00–08:59: 1 visit and 3 page views a minute, 8 open visits
		at := day.Add(8*time.Hour + time.Duration(m)*time.Minute)
		traffic(at, collector.ProfileEleve, 1, 3)
		traffic(at, collector.ProfileParent, int64(m%2), 1)
		active(at, int64(8+m%5))
	}
	traffic(day.Add(3*time.Hour+time.Minute), collector.ProfileParent, 2, 5) // 03:00: 2 visitors
	active(day.Add(3*time.Hour+time.Minute), 2)
	traffic(day.Add(3*time.Hour+21*time.Minute), collector.ProfileParent, 0, 4) // 03:20: no visit starts
	traffic(day.AddDate(0, 0, 1).Add(10*time.Hour), collector.ProfileEleve, 12, 20)
	visitors := func(at time.Time, profile string, n int64) {
		pts = append(pts, pt(collector.MeasVisitors, site("ent92", "92", collector.TagProfile, profile, collector.TagPeriod, collector.PeriodDay),
			map[string]any{collector.FieldUniqueVisitors: n}, at))
	}
	visitors(day, collector.ProfileEleve, 55)
	visitors(day, collector.ProfileParent, 3) // parents' day cell: masked
	visitors(day.AddDate(0, 0, 1), collector.ProfileEleve, 12)
	usage := func(dep, discipline string, accounts, sessions, sheets, exercises int64) {
		pts = append(pts, pt(collector.MeasEnseigno, map[string]string{collector.TagDepartment: dep, collector.TagDiscipline: discipline},
			map[string]any{collector.FieldActivatedAccounts: accounts, collector.FieldSessions: sessions,
				collector.FieldTutoringHours: 10.5, collector.FieldCourseSheets: sheets, collector.FieldExercises: exercises}, day))
	}
	usage("92", collector.DisciplineAll, 6000, 900, 800, 2500)
	usage("78", collector.DisciplineAll, 4000, 500, 400, 1200)
	usage("92", "maths", 2000, 400, 300, 1000)
	usage("92", "francais", 1500, 300, 250, 800)
	usage("78", "maths", 1300, 200, 150, 500)
	service := func(ent, dep, svc string, views int64) {
		pts = append(pts, pt(collector.MeasService, site(ent, dep, collector.TagProfile, collector.ProfileEleve, collector.TagService, svc),
			map[string]any{collector.FieldPageViews: views}, day.Add(9*time.Hour)))
	}
	service("ent92", "92", "homeworks", 50)
	service("oze78", "78", "homeworks", 20)
	service("oze78", "78", "conversation", 3) // département grain: published even if small

	var body bytes.Buffer
	for _, p := range pts {
		_, line := collectortest.Line(p)
		body.WriteString(line + "\n")
	}
	resp, err := http.Post(s.URL+"/write?precision=ns&db="+s.Database, "text/plain", &body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write: %s", resp.Status)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\ufeff")) {
		t.Errorf("%s: no BOM", path)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestIntegrationReport(t *testing.T) {
	s := influxtest.Start(t)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	seed(t, s, paris)
	out := t.TempDir()
	civil := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	began := time.Now()
	res, err := Render(t.Context(), s.Querier(), Options{From: civil(2020, 3, 1), To: civil(2020, 4, 30),
		Day: civil(2020, 3, 30), ENT: "ent92", Out: out})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rendered in %s", time.Since(began))
	if len(res.Files) != 6*3+1 {
		t.Errorf("%d files, want 6 charts × (CSV, PNG, SVG) + index.html", len(res.Files))
	}
	for _, f := range res.Files {
		if st, err := os.Stat(f); err != nil || st.Size() < 30 {
			t.Errorf("%s: missing or empty (%v)", f, err)
		}
	}
	html, err := os.ReadFile(res.Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Accès à l&#39;ENT 92 le lundi 30 mars 2020, par tranche de 10 minutes",
		"Consultations quotidiennes de l&#39;ENT 92 par profil depuis la rentrée",
		"Visites et pages vues de l&#39;ENT 92 en mars 2020",
		"Enseigno : comptes activés et séances de soutien",
		"Pages vues par service",
		"Secret statistique",
		"L&#39;ENT 92 : 92 visites et 249 pages vues le lundi 30 mars 2020.",
		`<img src="acces-journee.png"`,
	} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}

	// Every published 10-minute cell equals InfluxQL's sum over its UTC
	// range; masked ones hide fewer than 5 starting visitors.
	query := func(q string) float64 {
		t.Helper()
		series := s.MustQuery(q)
		if len(series) == 0 || len(series[0].Values) == 0 || series[0].Values[0][1] == nil {
			return 0
		}
		v, err := strconv.ParseFloat(fmt.Sprint(series[0].Values[0][1]), 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	between := func(from, to time.Time) string {
		return fmt.Sprintf("time >= '%s' AND time < '%s'", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	rows := readCSV(t, filepath.Join(out, "acces-journee.csv"))
	if strings.Join(rows[0], ";") != "heure;Visites;Pages vues;Visites en cours" || len(rows) != 1+144 {
		t.Fatalf("acces-journee.csv: header %v, %d rows", rows[0], len(rows))
	}
	// One UTC-aligned query (Paris offsets are whole hours, so 10-minute
	// buckets coincide), independent of the report's tz() clause.
	cellsUTC := map[string][2]float64{}
	for _, sr := range s.MustQuery(`SELECT sum("visits"), sum("page_views") FROM "ent_traffic" WHERE "ent" = 'ent92' AND ` +
		between(time.Date(2020, 3, 30, 0, 0, 0, 0, paris), time.Date(2020, 3, 31, 0, 0, 0, 0, paris)) + ` GROUP BY time(10m) fill(0)`) {
		for _, v := range sr.Values {
			at, _ := time.Parse(time.RFC3339, v[0].(string))
			a, _ := strconv.ParseFloat(fmt.Sprint(v[1]), 64)
			b, _ := strconv.ParseFloat(fmt.Sprint(v[2]), 64)
			cellsUTC[at.In(paris).Format("2006-01-02 15:04")] = [2]float64{a, b}
		}
	}
	masked := 0
	for _, row := range rows[1:] {
		c, ok := cellsUTC[row[0]]
		if !ok {
			t.Fatalf("acces-journee.csv row %s: no such 10-minute bucket in InfluxDB", row[0])
		}
		visits := c[0]
		for i, want := range c {
			switch {
			case row[1+i] == Masked:
				masked++
				if visits >= MinVisitors {
					t.Errorf("%s: masked with %v visits", row[0], visits)
				}
			case row[1+i] != strconv.FormatFloat(want, 'f', 0, 64):
				t.Errorf("%s column %d: CSV %s, InfluxQL %v", row[0], 1+i, row[1+i], want)
			}
		}
	}
	if masked != 3 { // 03:00 visits and page views, 03:20 page views
		t.Errorf("acces-journee.csv: %d masked cells, want 3", masked)
	}

	rows = readCSV(t, filepath.Join(out, "visites-mois.csv"))
	for _, row := range rows[1:] {
		d, err := time.ParseInLocation(time.DateOnly, row[0], paris)
		if err != nil {
			t.Fatal(err)
		}
		where := fmt.Sprintf(`"ent" = 'ent92' AND %s`, between(d, d.AddDate(0, 0, 1)))
		if want := query(`SELECT sum("visits") FROM "ent_traffic" WHERE ` + where); row[1] != strconv.FormatFloat(want, 'f', 0, 64) {
			t.Errorf("visites-mois.csv %s: visits %s, InfluxQL %v", row[0], row[1], want)
		}
	}

	rows = readCSV(t, filepath.Join(out, "consultations-profils.csv"))
	for _, row := range rows[1:] {
		if row[0] == "2020-03-30" && (row[1] != "60" || row[2] != Masked) {
			t.Errorf("consultations-profils.csv 30 March: élèves %s (want 60), parents %s (want %s: 3 visitors)", row[1], row[2], Masked)
		}
	}

	rows = readCSV(t, filepath.Join(out, "enseigno.csv"))
	for _, row := range rows[1:] {
		if row[0] == "2020-03-30" {
			want := query(`SELECT sum("sessions") FROM "enseigno_usage" WHERE "discipline" = 'all' AND ` +
				between(time.Date(2020, 3, 30, 0, 0, 0, 0, paris), time.Date(2020, 3, 31, 0, 0, 0, 0, paris)))
			if row[2] != strconv.FormatFloat(want, 'f', 0, 64) || row[1] != "10000" {
				t.Errorf("enseigno.csv 30 March: %v, want accounts 10000 and sessions %v", row, want)
			}
		}
	}
	rows = readCSV(t, filepath.Join(out, "services.csv"))
	if got := fmt.Sprint(rows); got != "[[service Yvelines (78) Hauts-de-Seine (92)] [Cahier de textes 20 50] [Messagerie 3 0]]" {
		t.Errorf("services.csv = %s", got)
	}
	rows = readCSV(t, filepath.Join(out, "enseigno-disciplines.csv"))
	if got := fmt.Sprint(rows); got != "[[discipline Séances Fiches de cours Exercices] [Mathématiques 600 450 1500] [Français 300 250 800]]" {
		t.Errorf("enseigno-disciplines.csv = %s", got)
	}
}
