package enseigno

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
)

// issue18Header is the header of the export of issue 18: `Sessions`, not
// `Séances`.
const issue18Header = "Date;Département;Discipline;Comptes activés;Sessions;Heures de soutien;Fiches de cours;Exercices"

// repeatedAccounts renders March 2020 for département 92 as the export of
// issue 18: six disciplines a day, each row carrying the département's
// activated accounts (7,965 on 31 March), the other values per discipline.
func repeatedAccounts(header string) ([]byte, []fixRow) {
	discs := []string{"Mathématiques", "Français", "Anglais", "Histoire-Géographie", "Physique-Chimie", "SVT"}
	var b strings.Builder
	b.WriteString("\uFEFF" + header + "\r\n")
	var rows []fixRow
	for d := range 31 {
		accounts := 5400 + d*(7965-5400)/30
		for i, disc := range discs {
			r := fixRow{day("2020-03-01").AddDate(0, 0, d), "92", disc, accounts, 100 + 10*d - 7*i, float64(40+d) * 0.5, 90 + d, 250 + 3*d - i}
			rows = append(rows, r)
			fmt.Fprintf(&b, "%s;%s;%s;%d;%d;%s;%d;%d\r\n", r.day.Format("02/01/2006"), r.dep, r.disc, r.accounts, r.sess, comma(r.hours), r.sheets, r.exercise)
		}
	}
	return []byte(b.String()), rows
}

// pointsOf imports an export and returns its points by "discipline day".
func pointsOf(t *testing.T, cfg Config, opts Options, data []byte) (map[string]collector.Point, Summary) {
	t.Helper()
	src := newSource(t, cfg, opts)
	path := t.TempDir() + "/export.csv"
	writeFile(t, path, data)
	var rec collectortest.Recorder
	sum, err := src.ImportFiles(context.Background(), &rec, []string{path})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]collector.Point{}
	for _, p := range rec.Points() {
		m[p.Tags[collector.TagDiscipline]+" "+p.Time.In(src.paris).Format(dayFormat)] = p
	}
	return m, sum
}

// TestImportIssue18Export: the export headed with `Sessions` and
// repeating the département's accounts on each discipline row imports
// every value exactly; the day's total takes the accounts once.
func TestImportIssue18Export(t *testing.T) {
	data, rows := repeatedAccounts(issue18Header)
	stats := collector.NewStats()
	pts, sum := pointsOf(t, Config{}, Options{Stats: stats}, data)
	if sum.RowsImported != 186 || sum.RowsBad != 0 || len(sum.Header) != 0 {
		t.Errorf("summary: %s", sum)
	}
	if sum.Accounts != "per_department (detected)" || !strings.Contains(sum.String(), "activated accounts per_department (detected)") {
		t.Errorf("summary does not say how accounts were read: %s", sum)
	}
	want := map[string]map[string]float64{} // day → field → value of "all"
	for _, r := range rows {
		d := r.day.Format(dayFormat)
		if want[d] == nil {
			want[d] = map[string]float64{collector.FieldActivatedAccounts: float64(r.accounts)}
		}
		w := want[d]
		w[collector.FieldSessions] += float64(r.sess)
		w[collector.FieldTutoringHours] += r.hours
		w[collector.FieldCourseSheets] += float64(r.sheets)
		w[collector.FieldExercises] += float64(r.exercise)
	}
	for d, w := range want {
		all, ok := pts["all "+d]
		if !ok {
			t.Fatalf("no all point on %s", d)
		}
		for f, v := range w {
			if got := toFloat(all.Fields[f]); got != v {
				t.Errorf("%s all %s = %v, want %v", d, f, got, v)
			}
		}
	}
	if got := pts["all 2020-03-31"].Fields[collector.FieldActivatedAccounts]; got != int64(7965) {
		t.Errorf("31 March: activated accounts %v, want 7965 (not 6 × 7965)", got)
	}
	maths := pts["maths 2020-03-31"]
	if _, ok := maths.Fields[collector.FieldActivatedAccounts]; ok || maths.Fields[collector.FieldSessions] == nil {
		t.Errorf("a discipline holds the département's accounts as its own: %v", maths.Fields)
	}
	for _, problem := range []string{"unknown_column", "missing_column"} {
		if v := stats.Gauge(collector.MetricEnseignoHeaderProblems, collector.LabelSource, "enseigno-test", collector.LabelProblem, problem).Value(); v != 0 {
			t.Errorf("%s = %v", problem, v)
		}
	}
}

func toFloat(v any) float64 {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	}
	return -1
}

// TestAccountsModes: per_discipline sums the rows (what auto detects for
// the simulator's split accounts), per_department takes the level once,
// also from cumulative exports, and says when the rows of a day disagree.
func TestAccountsModes(t *testing.T) {
	data, _ := repeatedAccounts(issue18Header)
	pts, sum := pointsOf(t, Config{Accounts: AccountsPerDiscipline}, Options{}, data)
	if got := pts["all 2020-03-31"].Fields[collector.FieldActivatedAccounts]; got != int64(6*7965) || sum.Accounts != "per_discipline" {
		t.Errorf("per_discipline: %v, %q", got, sum.Accounts)
	}
	split := defaultCSV(genFixture("92", day("2020-03-01"), 3))
	pts, sum = pointsOf(t, Config{}, Options{}, split)
	if got := pts["all 2020-03-01"].Fields[collector.FieldActivatedAccounts]; got != int64(700+620+540+460+380+300+220+140) ||
		sum.Accounts != "per_discipline (detected)" {
		t.Errorf("split accounts: %v, %q", got, sum.Accounts)
	}
	pts, sum = pointsOf(t, Config{Accounts: AccountsPerDepartment}, Options{}, split)
	if got := pts["all 2020-03-01"].Fields[collector.FieldActivatedAccounts]; got != int64(700) || sum.AccountsDiffer != 3 ||
		!strings.Contains(sum.String(), "3 days whose discipline rows disagree") {
		t.Errorf("per_department on split rows: %v, %s", got, sum)
	}
	cumulative, _ := repeatedAccounts(issue18Header)
	pts, _ = pointsOf(t, Config{Values: ValuesCumulative}, Options{}, cumulative)
	if got := pts["all 2020-03-31"].Fields[collector.FieldActivatedAccounts]; got != int64(7965) {
		t.Errorf("cumulative export: accounts %v, want the level 7965", got)
	}
}

// TestHeaderAliases: each value column is found under its usual names,
// ignoring case, accents and spacing; a configured name is the only one.
func TestHeaderAliases(t *testing.T) {
	cfg := Config{}
	cfg.ApplyDefaults()
	for cell, field := range map[string]string{
		"Sessions": "sessions", "SÉANCES": "sessions", "Nombre de séances": "sessions", "nombre de sessions": "sessions",
		"Nb. séances": "sessions", "Heures": "tutoring_hours", "Durée": "tutoring_hours", "durée  de soutien": "tutoring_hours",
		"Comptes": "activated_accounts", "Comptes activés": "activated_accounts", "Élèves inscrits": "activated_accounts",
		"Fiches": "course_sheets", "Fiches de cours consultées": "course_sheets", "Exercices réalisés": "exercises",
		"activated_accounts": "activated_accounts", "Jour": "", "Matière": "",
	} {
		h := resolveHeader(&cfg, []string{cell})
		got := ""
		for c := colValues; c < nColumns; c++ {
			if h.index[c] == 0 {
				got = fieldNames[c-colValues]
			}
		}
		if got != field || (field == "" && len(h.unknown) != 0) {
			t.Errorf("%q → %q (unknown %q), want %q", cell, got, h.unknown, field)
		}
	}
	configured := Config{Columns: Columns{Sessions: "Visios"}}
	configured.ApplyDefaults()
	h := resolveHeader(&configured, []string{"Date", "Discipline", "Sessions", "visios"})
	if h.index[colValues+iSessions] != 3 || len(h.unknown) != 1 || h.unknown[0] != "Sessions" {
		t.Errorf("configured name: index %d, unknown %q", h.index[colValues+iSessions], h.unknown)
	}
}

// TestHeaderProblems: a header cell that maps to nothing and an expected
// column the export lacks are in the summary, the self-metric and the
// warning of each fetch; ignore_columns and "-" acknowledge them.
func TestHeaderProblems(t *testing.T) {
	render := func(header, extra string) []byte {
		var b strings.Builder
		b.WriteString(header + "\n")
		for _, r := range smallFixture() {
			fmt.Fprintf(&b, "%s;%s;%s;%d;%d;7;%s;%d%s\n", r.day.Format("02/01/2006"), r.dep, r.disc, r.accounts, r.sess, comma(r.hours), r.sheets, extra)
		}
		return []byte(b.String())
	}
	const header = "Date;Département;Discipline;Comptes activés;Sessions;Nb visios;Heures de soutien;Fiches de cours"
	data := render(header+";Sessions", ";1")
	stats := collector.NewStats()
	pts, sum := pointsOf(t, Config{}, Options{Stats: stats}, data)
	if len(sum.Header) != 1 || !strings.Contains(sum.Header[0], `unknown columns "Nb visios", "Sessions (a second Sessions column)"`) ||
		!strings.Contains(sum.Header[0], "no exercises column") || !strings.Contains(sum.String(), "\nheader ") {
		t.Errorf("summary: %s", sum)
	}
	gauge := func(problem string) float64 {
		return stats.Gauge(collector.MetricEnseignoHeaderProblems, collector.LabelSource, "enseigno-test", collector.LabelProblem, problem).Value()
	}
	if gauge("unknown_column") != 2 || gauge("missing_column") != 1 {
		t.Errorf("gauges: unknown %v, missing %v", gauge("unknown_column"), gauge("missing_column"))
	}
	if got := pts["all 2020-03-24"].Fields[collector.FieldSessions]; got != int64(1300+720+400) {
		t.Errorf("sessions read from the second Sessions column: %v", got)
	}

	var logs bytes.Buffer
	srv := &exportServer{body: data, etag: `"v1"`}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	src := newSource(t, Config{URL: ts.URL}, Options{Stats: stats, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	for range 2 {
		srv.etag = fmt.Sprint(time.Now().UnixNano()) // a new export each time
		if _, err := src.Gather(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "enseigno export header does not match"); n != 2 || !strings.Contains(logs.String(), "Nb visios") {
		t.Errorf("%d header warnings in 2 fetches:\n%s", n, logs.String())
	}

	_, sum = pointsOf(t, Config{IgnoreColumns: []string{"nb visios"}, Columns: Columns{Exercises: absent}}, Options{Stats: stats},
		render(header, ""))
	if len(sum.Header) != 0 || gauge("unknown_column") != 0 || gauge("missing_column") != 0 {
		t.Errorf("acknowledged columns still reported: %q", sum.Header)
	}
}
