package enseigno

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/entpipe/entpipe/collector/collectortest"
)

var update = flag.Bool("update", false, "rewrite testdata goldens")

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestImportDefaultLayout(t *testing.T) {
	got, sum := importBytes(t, Config{}, Options{}, defaultCSV(smallFixture()))
	collectortest.Golden(t, filepath.Join("testdata", "default", "want.lp"), got, *update)
	collectortest.Golden(t, filepath.Join("testdata", "default", "summary.txt"), sum.String()+"\n", *update)
}

// Every convention of the same rows must give exactly the default layout's
// points.
func TestImportConventions(t *testing.T) {
	rows := smallFixture()
	want, _ := importBytes(t, Config{}, Options{}, defaultCSV(rows))
	cp1252, err := charmap.Windows1252.NewEncoder().Bytes([]byte(strings.TrimPrefix(string(defaultCSV(rows)), "\uFEFF")))
	if err != nil {
		t.Fatal(err)
	}
	english := Columns{Date: "day", Department: "dep", Discipline: "subject", ActivatedAccounts: "accounts",
		Sessions: "sessions", TutoringHours: "hours", CourseSheets: "sheets", Exercises: "exercises"}
	for _, c := range []struct {
		name  string
		cfg   Config
		input []byte
	}{
		{"no BOM", Config{}, []byte(strings.TrimPrefix(string(defaultCSV(rows)), "\uFEFF"))},
		{"windows-1252 detected", Config{}, cp1252},
		{"windows-1252 configured", Config{Encoding: "windows-1252"}, cp1252},
		{"comma separator, decimal point, ISO dates", Config{Columns: english, Decimal: "point"}, render(rows, ",", isoDate, decimalPoint, "day,dep,subject,accounts,sessions,hours,sheets,exercises")},
		{"separator configured", Config{Columns: english, Separator: ","}, render(rows, ",", isoDate, decimalPoint, "day,dep,subject,accounts,sessions,hours,sheets,exercises")},
		{"hh:mm hours", Config{}, render(rows, ";", frDate, hhmm, defaultHeader)},
		{"tab, no department column", Config{Separator: "tab"}, render(rows, "\t", frDate, comma, "Date\t\tDiscipline\tComptes activés\tSéances\tHeures de soutien\tFiches de cours\tExercices")},
		{"department names, other layout", Config{DateLayout: "yyyy/mm/dd"}, renderDep(rows, "Hauts-de-Seine")},
		{"json array", Config{Format: "json"}, jsonExport(t, rows, false)},
		{"json object", Config{Format: "json", JSONRows: "data"}, jsonExport(t, rows, true)},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, sum := importBytes(t, c.cfg, Options{}, c.input)
			if got != want {
				t.Errorf("got:\n%s\nwant (default layout):\n%s", got, want)
			}
			if sum.RowsBad != 0 || sum.RowsImported != len(rows) {
				t.Errorf("summary: %s", sum)
			}
		})
	}
}

const defaultHeader = "Date;Département;Discipline;Comptes activés;Séances;Heures de soutien;Fiches de cours;Exercices"

func frDate(r fixRow) string        { return r.day.Format("2/1/2006") }
func isoDate(r fixRow) string       { return r.day.Format("2006-01-02") }
func decimalPoint(v float64) string { return strings.Replace(comma(v), ",", ".", 1) }
func hhmm(v float64) string         { return fmt.Sprintf("%d:%02d", int(v), int((v-float64(int(v)))*60)) }
func renderDep(rows []fixRow, dep string) []byte {
	var b strings.Builder
	b.WriteString(defaultHeader + "\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s;%s;%s;%d;%d;%s;%d;%d\n", r.day.Format("2006/01/02"), dep, r.disc, r.accounts, r.sess, comma(r.hours), r.sheets, r.exercise)
	}
	return []byte(b.String())
}

// render writes rows without BOM nor totals row; a header without a
// department column name leaves that column empty.
func render(rows []fixRow, sep string, date func(fixRow) string, hours func(float64) string, header string) []byte {
	var b strings.Builder
	b.WriteString(header + "\n")
	for _, r := range rows {
		dep := r.dep
		if strings.Contains(header, sep+sep) {
			dep = ""
		}
		b.WriteString(strings.Join([]string{date(r), dep, r.disc, fmt.Sprint(r.accounts), fmt.Sprint(r.sess),
			hours(r.hours), fmt.Sprint(r.sheets), fmt.Sprint(r.exercise)}, sep) + "\n")
	}
	return []byte(b.String())
}

func jsonExport(t *testing.T, rows []fixRow, wrapped bool) []byte {
	var out []map[string]any
	for i, r := range rows {
		m := map[string]any{"date": isoDate(r), "department": r.dep, "discipline": r.disc,
			"activated_accounts": r.accounts, "sessions": r.sess, "tutoring_hours": r.hours,
			"course_sheets": r.sheets, "exercises": r.exercise}
		if i%2 == 1 { // strings in the export's conventions are accepted too
			m["date"], m["tutoring_hours"] = r.day.Format("02/01/2006"), comma(r.hours)
		}
		out = append(out, m)
	}
	var v any = out
	if wrapped {
		v = map[string]any{"generated": "2020-03-25", "data": out}
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return data
}
