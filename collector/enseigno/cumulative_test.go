package enseigno

import (
	"slices"
	"strings"
	"testing"
)

// cumulate turns daily rows into the running totals a cumulative export
// holds, starting from a baseline day before the first (with arbitrary
// totals so far); activated accounts stay a level.
func cumulate(rows []fixRow) []fixRow {
	type key struct{ dep, disc string }
	run := map[key]fixRow{}
	var out []fixRow
	for _, r := range rows {
		k := key{r.dep, r.disc}
		c, ok := run[k]
		if !ok {
			c = fixRow{r.day.AddDate(0, 0, -1), r.dep, r.disc, r.accounts - 5, 5000, 1200.5, 3000, 9000}
			out = append(out, c)
		}
		c.day, c.accounts = r.day, r.accounts
		c.sess, c.hours, c.sheets, c.exercise = c.sess+r.sess, c.hours+r.hours, c.sheets+r.sheets, c.exercise+r.exercise
		run[k] = c
		out = append(out, c)
	}
	return out
}

func TestImportCumulative(t *testing.T) {
	rows := genFixture("78", day("2020-03-01"), 10)
	perDay := len(rows) / 10
	want, _ := importBytes(t, Config{}, Options{}, defaultCSV(rows))
	cum := cumulate(rows) // day 0 (29 February) is the baseline
	cumulative := Config{Values: ValuesCumulative}

	got, sum := importBytes(t, cumulative, Options{}, defaultCSV(cum))
	if got != want {
		t.Errorf("cumulative export:\n%s\nwant the daily values:\n%s", got, want)
	}
	if sum.BaselineDays != 1 || sum.Days != 10 {
		t.Errorf("summary: %s", sum)
	}

	// Split over two runs: the second export's first day is differenced
	// with the baseline saved by the first run, overlapping or not.
	for _, split := range []struct {
		name       string
		secondFrom int
	}{{"adjacent", 6}, {"overlapping", 3}} {
		t.Run(split.name, func(t *testing.T) {
			opts := Options{StateDir: t.TempDir()}
			first, _ := importBytes(t, cumulative, opts, defaultCSV(cum[:6*perDay]))
			second, sum := importBytes(t, cumulative, opts, defaultCSV(cum[split.secondFrom*perDay:]))
			if sum.BaselineDays != 0 {
				t.Errorf("second run did not use the saved baseline: %s", sum)
			}
			if got := mergeLP(first, second); got != want {
				t.Errorf("two runs:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// A running total that goes down was reset: the day's value is the new
// total itself.
func TestImportCumulativeReset(t *testing.T) {
	cum := []fixRow{
		{day("2020-03-01"), "92", "Maths", 10, 100, 10, 100, 100},
		{day("2020-03-02"), "92", "Maths", 12, 130, 12.5, 120, 150},
		{day("2020-03-03"), "92", "Maths", 13, 7, 14, 125, 160},
	}
	got, sum := importBytes(t, Config{Values: ValuesCumulative}, Options{}, defaultCSV(cum))
	want := "enseigno_usage,department=92,discipline=all activated_accounts=12i,course_sheets=20i,exercises=50i,sessions=30i,tutoring_hours=2.5 1583103600000000000\n" +
		"enseigno_usage,department=92,discipline=all activated_accounts=13i,course_sheets=5i,exercises=10i,sessions=7i,tutoring_hours=1.5 1583190000000000000\n" +
		"enseigno_usage,department=92,discipline=maths activated_accounts=12i,course_sheets=20i,exercises=50i,sessions=30i,tutoring_hours=2.5 1583103600000000000\n" +
		"enseigno_usage,department=92,discipline=maths activated_accounts=13i,course_sheets=5i,exercises=10i,sessions=7i,tutoring_hours=1.5 1583190000000000000\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if sum.Resets != 1 || sum.BaselineDays != 1 {
		t.Errorf("summary: %s", sum)
	}
}

// mergeLP combines two sorted line-protocol outputs as InfluxDB would:
// the later write of a series and time wins.
func mergeLP(first, second string) string {
	seen := map[string]string{}
	for _, lp := range []string{first, second} {
		for _, l := range strings.Split(strings.TrimSpace(lp), "\n") {
			fields := strings.Fields(l)
			seen[fields[0]+" "+fields[2]] = l
		}
	}
	var lines []string
	for _, l := range seen {
		lines = append(lines, l)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}
