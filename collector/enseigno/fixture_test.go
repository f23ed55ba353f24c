package enseigno

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
)

// fixRow is one export row with its values; renderers write it in each
// convention an export may use.
type fixRow struct {
	day              time.Time
	dep, disc        string
	accounts, sess   int
	hours            float64 // multiples of 0.25, so hh:mm renders exactly
	sheets, exercise int
}

func day(s string) time.Time {
	d, err := time.Parse(dayFormat, s)
	if err != nil {
		panic(err)
	}
	return d
}

// smallFixture: two days of ENT 92 around the first lockdown, with a
// discipline alias, two raw names folding into one slug, and an unknown
// discipline.
func smallFixture() []fixRow {
	return []fixRow{
		{day("2020-03-23"), "92", "Mathématiques", 2100, 1200, 310.5, 950, 2700},
		{day("2020-03-23"), "92", "Français", 1500, 700, 180.25, 610, 1500},
		{day("2020-03-23"), "92", "Histoire", 400, 150, 40, 120, 300},
		{day("2020-03-23"), "92", "Géographie", 300, 100, 25.75, 80, 200},
		{day("2020-03-23"), "92", "Chinois", 20, 5, 1.5, 3, 10},
		{day("2020-03-24"), "92", "Mathématiques", 2250, 1300, 330, 1000, 2900},
		{day("2020-03-24"), "92", "Français", 1550, 720, 190.75, 630, 1600},
		{day("2020-03-24"), "92", "Anglais", 900, 400, 95.5, 300, 1100},
	}
}

// genFixture: days of daily rows for several disciplines, values from a
// formula so tests can compute the expected sums independently.
func genFixture(dep string, from time.Time, days int) []fixRow {
	discs := []string{"Mathématiques", "Français", "Anglais", "Histoire-Géographie", "Physique-Chimie", "SVT", "Espagnol", "Allemand"}
	var rows []fixRow
	for d := range days {
		for i, disc := range discs {
			rows = append(rows, fixRow{from.AddDate(0, 0, d), dep, disc,
				700 - 80*i + 9*d, 400 - 40*i + 13*d, float64(100-10*i+d) * 0.75, 300 - 30*i + 2*d, 900 - 90*i + 5*d})
		}
	}
	return rows
}

func comma(v float64) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', -1, 64), ".", ",", 1)
}

// defaultCSV renders the default layout: BOM, `;`, decimal comma,
// dd/mm/yyyy, and a final totals row.
func defaultCSV(rows []fixRow) []byte {
	var b strings.Builder
	b.WriteString("\uFEFFDate;Département;Discipline;Comptes activés;Séances;Heures de soutien;Fiches de cours;Exercices\r\n")
	var t fixRow
	for _, r := range rows {
		fmt.Fprintf(&b, "%s;%s;%s;%d;%d;%s;%d;%d\r\n", r.day.Format("02/01/2006"), r.dep, r.disc, r.accounts, r.sess, comma(r.hours), r.sheets, r.exercise)
		t.accounts, t.sess, t.hours, t.sheets, t.exercise = t.accounts+r.accounts, t.sess+r.sess, t.hours+r.hours, t.sheets+r.sheets, t.exercise+r.exercise
	}
	// As the simulator writes it: the department, no discipline.
	fmt.Fprintf(&b, "Total;%s;;%d;%d;%s;%d;%d\r\n", rows[0].dep, t.accounts, t.sess, comma(t.hours), t.sheets, t.exercise)
	return []byte(b.String())
}

// importBytes writes files into a temporary directory, imports them in
// order with cfg and returns the points as sorted line protocol.
func importBytes(t *testing.T, cfg Config, opts Options, files ...[]byte) (string, Summary) {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, f := range files {
		p := fmt.Sprintf("%s/export-%d", dir, i)
		writeFile(t, p, f)
		paths = append(paths, p)
	}
	src := newSource(t, cfg, opts)
	var rec collectortest.Recorder
	sum, err := src.ImportFiles(context.Background(), &rec, paths)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Flushes() != 1 {
		t.Errorf("flushes = %d, want 1", rec.Flushes())
	}
	return collectortest.LineProtocol(rec.Points()), sum
}

func newSource(t *testing.T, cfg Config, opts Options) *Source {
	t.Helper()
	if cfg.Department == "" {
		cfg.Department = "92"
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Date(2020, 6, 1, 12, 0, 0, 0, time.UTC) }
	}
	src, err := New("enseigno-test", cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// expectedSums adds the fixture's values per field, the numbers InfluxDB
// must hold summed over the "all" series.
func expectedSums(rows []fixRow) map[string]float64 {
	m := map[string]float64{}
	for _, r := range rows {
		m[collector.FieldActivatedAccounts] += float64(r.accounts)
		m[collector.FieldSessions] += float64(r.sess)
		m[collector.FieldTutoringHours] += r.hours
		m[collector.FieldCourseSheets] += float64(r.sheets)
		m[collector.FieldExercises] += float64(r.exercise)
	}
	return m
}
