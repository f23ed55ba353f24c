package enseigno

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
)

// Bad rows are reported with file, line and column while the good rows of
// the same export are imported.
func TestImportBadRows(t *testing.T) {
	input := "\uFEFF" + defaultHeader + "\n" +
		"23/03/2020;92;Maths;10;20;1,5;30;40\n" + // line 2: good
		"31/02/2020;92;Maths;10;20;1,5;30;40\n" + // 3: no such date
		"24/03/2020;92;Maths;10;douze;1,5;30;40\n" + // 4: sessions
		"24/03/2020;92;Maths;10;20;1,5,5;30;40\n" + // 5: hours
		"24/03/2020;92;Maths;10;20;1:75;30;40\n" + // 6: hh:mm minutes
		"24/03/2020;Gironde;Maths;10;20;1;30;40\n" + // 7: department
		"24/03/2020;92;;10;20;1;30;40\n" + // 8: discipline
		"24/03/2020;92;Maths;10;20\n" + // 9: short row
		"24/03/2020;92;Maths;-3;20;1;30;40\n" + // 10: negative
		"24/03/2020;92;Maths;2,5;20;1;30;40\n" + // 11: not a count
		"24/03/2021;92;Maths;1;20;1;30;40\n" + // 12: future
		";92;Maths;1;20;1;30;40\n" + // 13: no date
		"24/03/2020;92;\"Maths;1;20;1;30;40\n" + // 14: bare quote, swallows the rest
		"\n"
	// Line 14's open quote runs to the end of the file, so it is the last row.
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.csv")
	writeFile(t, path, []byte(input))
	stats := collector.NewStats()
	src := newSource(t, Config{}, Options{Stats: stats})
	var rec collectortest.Recorder
	sum, err := src.ImportFiles(context.Background(), &rec, []string{path})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		path + `:3:1 (Date): "31/02/2020" is not a date (dd/mm/yyyy or yyyy-mm-dd)`,
		path + `:4:5 (Séances): "douze" is not a non-negative number`,
		path + `:5:6 (Heures de soutien): "1,5,5" is not a non-negative number`,
		path + `:6:6 (Heures de soutien): "1:75" is not a duration in hh:mm`,
		path + `:7:2 (Département): "Gironde" is not a French department code or name`,
		path + `:8:3 (Discipline): discipline is missing`,
		path + `:9:6: row has 5 cells, header has 8`,
		path + `:10:4 (Comptes activés): "-3" is not a non-negative number`,
		path + `:11:4 (Comptes activés): "2,5" is not a whole number`,
		path + `:12:1 (Date): 2021-03-24 is in the future`,
		path + `:13:1 (Date): "" is not a date (dd/mm/yyyy or yyyy-mm-dd)`,
		path + `:14:1: extraneous or missing " in quoted-field (detected at line 15, column 2)`,
	}
	var got []string
	for _, e := range sum.Bad {
		got = append(got, e.Error())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("bad rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if sum.RowsBad != len(want) || sum.RowsImported != 1 || sum.RowsRead != 13 {
		t.Errorf("summary counts: %+v", sum)
	}
	if !strings.Contains(sum.String(), "\nbad row "+want[0]) {
		t.Errorf("summary does not list bad rows:\n%s", sum)
	}
	wantLP := "enseigno_usage,department=92,discipline=all activated_accounts=10i,course_sheets=30i,exercises=40i,sessions=20i,tutoring_hours=1.5 1584918000000000000\n" +
		"enseigno_usage,department=92,discipline=maths activated_accounts=10i,course_sheets=30i,exercises=40i,sessions=20i,tutoring_hours=1.5 1584918000000000000\n"
	if got := collectortest.LineProtocol(rec.Points()); got != wantLP {
		t.Errorf("points:\n%s\nwant:\n%s", got, wantLP)
	}
	if v := stats.Counter(collector.MetricLines, collector.LabelSource, "enseigno-test", collector.LabelResult, collector.ResultInvalid).Value(); v != float64(len(want)) {
		t.Errorf("invalid rows counter = %v", v)
	}
}

// A mapping that does not fit the export fails its file; with no other
// file, nothing is written.
func TestImportMissingColumns(t *testing.T) {
	for _, c := range []struct{ name, input, want string }{
		{"no discipline", "Date;Séances\n23/03/2020;3\n", `missing "Discipline"`},
		{"no value", "Date;Discipline;Foo\n23/03/2020;Maths;3\n", "missing every value column"},
		{"empty", "", "read header: EOF"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.csv")
			writeFile(t, path, []byte(c.input))
			var rec collectortest.Recorder
			_, err := newSource(t, Config{}, Options{}).ImportFiles(context.Background(), &rec, []string{path})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
			if len(rec.Points()) != 0 || rec.Flushes() != 0 {
				t.Errorf("wrote %d points", len(rec.Points()))
			}
		})
	}
}

// TestImportSkipsBadFiles: a missing file, one whose header does not fit
// and an unreadable one (a directory) are reported with their name and
// reason; the other exports are imported as if alone, and the summary
// counts only them.
func TestImportSkipsBadFiles(t *testing.T) {
	march := defaultCSV(genFixture("92", day("2020-03-01"), 10))
	april := defaultCSV(genFixture("92", day("2020-04-01"), 10))
	want, wantSum := importBytes(t, Config{}, Options{}, march, april)
	dir := t.TempDir()
	path := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if data != nil {
			writeFile(t, p, data)
		}
		return p
	}
	unreadable := path("unreadable.csv", nil)
	if err := os.Mkdir(unreadable, 0o755); err != nil {
		t.Fatal(err)
	}
	paths := []string{path("march.csv", march), path("missing.csv", nil), path("columns.csv", []byte("Date;Foo\n23/03/2020;3\n")),
		unreadable, path("april.csv", april)}
	var rec collectortest.Recorder
	sum, err := newSource(t, Config{}, Options{}).ImportFiles(context.Background(), &rec, paths)
	var failed collector.FileErrors
	if !errors.As(err, &failed) || len(failed) != 3 {
		t.Fatalf("err = %v, want the three bad files", err)
	}
	for i, reason := range []string{"open: no such file or directory", `missing "Discipline"`, "read: is a directory"} {
		msg := failed[i].Error()
		if p := paths[i+1]; !strings.HasPrefix(msg, p+": ") || strings.Count(msg, p) != 1 || !strings.Contains(msg, reason) {
			t.Errorf("failure %d: %q, want %s once, with %q", i, msg, p, reason)
		}
	}
	if msg := failed[1].Error(); !strings.Contains(msg, `unknown columns "Foo"`) {
		t.Errorf("the rejected header's error %q does not name its unknown cell \"Foo\"", msg)
	}
	if got := collectortest.LineProtocol(rec.Points()); got != want {
		t.Errorf("points differ from an import of the good files alone:\n%s\nwant:\n%s", got, want)
	}
	if sum.String() != wantSum.String() {
		t.Errorf("summary %q, want %q", sum, wantSum)
	}
}

// Importing an export twice, or overlapping exports, gives what one
// import of the whole period gives.
func TestImportIdempotentAndOverlapping(t *testing.T) {
	rows := genFixture("92", day("2020-03-01"), 20)
	whole, _ := importBytes(t, Config{}, Options{}, defaultCSV(rows))
	twice, _ := importBytes(t, Config{}, Options{}, defaultCSV(rows), defaultCSV(rows))
	if twice != whole {
		t.Errorf("importing twice differs from once")
	}
	perDay := len(rows) / 20
	first, second := rows[:12*perDay], rows[8*perDay:] // days 9–12 in both
	overlap, sum := importBytes(t, Config{}, Options{}, defaultCSV(first), defaultCSV(second))
	if overlap != whole {
		t.Errorf("overlapping exports differ from the whole period:\n%s\nwant:\n%s", overlap, whole)
	}
	if sum.Days != 20 || sum.Points != 20*9 {
		t.Errorf("summary: %s", sum)
	}
}

// JSON bad rows point at the offending key.
func TestImportJSONBadRows(t *testing.T) {
	input := `{"rows": [
  {"date": "2020-03-23", "discipline": "Maths", "sessions": 12, "tutoring_hours": 3.5},
  {"date": "2020-03-23", "discipline": "Anglais", "sessions": "douze"},
  42,
  {"date": "23 mars", "discipline": "Maths", "sessions": 1}
]}`
	path := filepath.Join(t.TempDir(), "export.json")
	writeFile(t, path, []byte(input))
	var rec collectortest.Recorder
	sum, err := newSource(t, Config{Format: "json"}, Options{}).ImportFiles(context.Background(), &rec, []string{path})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range sum.Bad {
		got = append(got, strings.TrimPrefix(e.Error(), path))
	}
	want := []string{
		`:3:51 (sessions): "douze" is not a non-negative number`,
		`:4:3: row is not an object`,
		`:5:4 (date): "23 mars" is not a date (dd/mm/yyyy or yyyy-mm-dd)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("bad rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantLP := "enseigno_usage,department=92,discipline=all sessions=12i,tutoring_hours=3.5 1584918000000000000\n" +
		"enseigno_usage,department=92,discipline=maths sessions=12i,tutoring_hours=3.5 1584918000000000000\n"
	if got := collectortest.LineProtocol(rec.Points()); got != wantLP || sum.RowsImported != 1 {
		t.Errorf("points:\n%s\nwant:\n%s", got, wantLP)
	}
}
