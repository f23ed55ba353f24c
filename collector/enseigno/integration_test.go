package enseigno

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// influxWriter is a Sink writing line protocol to influxd's 1.x /write
// endpoint; each Write is acknowledged before it returns, so Flush has
// nothing left to do.
type influxWriter struct{ s *influxtest.Server }

func (w influxWriter) Write(ctx context.Context, points []collector.Point) error {
	var b strings.Builder
	for _, p := range points {
		_, line := collectortest.Line(p)
		b.WriteString(line + "\n")
	}
	u := w.s.URL + "/write?" + url.Values{"db": {w.s.Database}, "precision": {"ns"}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(b.String()))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("write: %s", resp.Status)
	}
	return nil
}

func (influxWriter) Flush(context.Context) error { return nil }

// March 2020 for both departments (the DST change of 29 March included),
// imported twice with an overlap, read back with InfluxQL: the sums and
// the daily values are the fixture's.
func TestIntegrationImportInflux(t *testing.T) {
	s := influxtest.Start(t)
	dir := t.TempDir()
	fixtures := map[string][]fixRow{}
	var paths []string
	for _, dep := range []string{"92", "78"} {
		fixtures[dep] = genFixture(dep, day("2020-03-01"), 31)
		p := filepath.Join(dir, "enseigno-"+dep+".csv")
		writeFile(t, p, defaultCSV(fixtures[dep]))
		paths = append(paths, p)
	}
	overlap := filepath.Join(dir, "enseigno-92-mid-march.csv")
	writeFile(t, overlap, defaultCSV(fixtures["92"][10*8:20*8]))
	src := newSource(t, Config{}, Options{})
	for _, files := range [][]string{paths, {overlap, paths[0]}} {
		sum, err := src.ImportFiles(context.Background(), influxWriter{s}, files)
		if err != nil {
			t.Fatal(err)
		}
		if sum.RowsBad != 0 {
			t.Fatalf("bad rows: %s", sum)
		}
	}

	for _, sr := range s.MustQuery(`SELECT COUNT(sessions), SUM(activated_accounts), SUM(sessions), SUM(tutoring_hours), SUM(course_sheets), SUM(exercises) FROM enseigno_usage WHERE discipline = 'all' GROUP BY department`) {
		dep := sr.Tags[collector.TagDepartment]
		want := expectedSums(fixtures[dep])
		row := sr.Values[0]
		if n := num(t, row[1]); n != 31 {
			t.Errorf("%s: %v days, want 31", dep, n)
		}
		for i, f := range []string{collector.FieldActivatedAccounts, collector.FieldSessions, collector.FieldTutoringHours, collector.FieldCourseSheets, collector.FieldExercises} {
			if got := num(t, row[2+i]); got != want[f] {
				t.Errorf("%s: sum of %s = %v, want %v", dep, f, got, want[f])
			}
		}
	}

	// Daily values at Paris midnight, before and after the DST change.
	series := s.MustQuery(`SELECT sessions, tutoring_hours FROM enseigno_usage WHERE department = '92' AND discipline = 'maths' tz('Europe/Paris')`)
	if len(series) != 1 || len(series[0].Values) != 31 {
		t.Fatalf("maths series: %+v", series)
	}
	for i, v := range series[0].Values {
		r := fixtures["92"][i*8] // maths is the first discipline of each day
		wantTime := r.day.Format("2006-01-02") + "T00:00:00+01:00"
		if i >= 29 { // from 30 March; 29 March starts at 00:00 CET
			wantTime = r.day.Format("2006-01-02") + "T00:00:00+02:00"
		}
		if v[0] != wantTime || num(t, v[1]) != float64(r.sess) || num(t, v[2]) != r.hours {
			t.Errorf("day %d: %v, want %s sessions=%d hours=%v", i+1, v, wantTime, r.sess, r.hours)
		}
	}

	types := map[string]string{}
	for _, sr := range s.MustQuery(`SHOW FIELD KEYS FROM enseigno_usage`) {
		for _, v := range sr.Values {
			types[v[0].(string)] = v[1].(string)
		}
	}
	want := map[string]string{"activated_accounts": "integer", "sessions": "integer", "tutoring_hours": "float", "course_sheets": "integer", "exercises": "integer"}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Errorf("field types %v, want %v", types, want)
	}
}

func num(t *testing.T, v any) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(fmt.Sprint(v), 64)
	if err != nil {
		t.Fatalf("%v is not a number", v)
	}
	return f
}
