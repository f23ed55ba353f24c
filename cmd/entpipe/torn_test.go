package main

import (
	"bufio"
	"compress/gzip"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/cmd/entpipe/internal/simulate"
	"github.com/entpipe/entpipe/collector"
)

// tornLog damages a log as concurrent writers and crashes do: a share of
// its records is cut at a random byte and then
//   - torn: the head stays alone on its line (a crash mid-write);
//   - glued: the next record follows the head on the same line;
//   - interleaved: the next record follows the head, and the tail of the
//     cut record comes on the line after (two writers' buffers mixed).
//
// reference is the same log without the damaged records, except the torn
// heads cut inside their last field (the profile), which entpipe counts
// as requests by rule (a truncated last field, as GoAccess does): those
// lines are in the reference as they are. Interleaved records are cut
// after their leading address: a tail starting inside the address may be
// a well-formed record (`98.19.110.19 - - […]` from `198.19.110.19`),
// which no reader can tell from one.
type tornLog struct {
	damaged, reference                     []string
	torn, glued, interleaved, countedHeads int
}

func damageLog(lines []string, rate float64, rng *rand.Rand) tornLog {
	var l tornLog
	for i := 0; i < len(lines); i++ {
		a := lines[i]
		if rng.Float64() >= rate || i+1 == len(lines) || strings.Count(a, `"`) != 8 { // the simulator's junk lines stay as they are
			l.damaged, l.reference = append(l.damaged, a), append(l.reference, a)
			continue
		}
		b := lines[i+1]
		switch rng.IntN(3) {
		case 0:
			k := 1 + rng.IntN(len(a)-1)
			l.damaged, l.torn = append(l.damaged, a[:k]), l.torn+1
			if k >= strings.LastIndex(a, ` "`)+2 { // inside the quoted profile, the ent format's last field
				l.reference, l.countedHeads = append(l.reference, a[:k]), l.countedHeads+1
			}
			continue // b is the next record, intact
		case 1:
			k := 1 + rng.IntN(len(a))
			l.damaged, l.glued = append(l.damaged, a[:k]+b), l.glued+1
		default:
			addr := strings.IndexByte(a, ' ')
			k := addr + rng.IntN(len(a)-addr)
			l.damaged, l.interleaved = append(l.damaged, a[:k]+b, a[k:]), l.interleaved+1
		}
		i++ // b is damaged too
	}
	return l
}

// TestTornRecordsAcceptance (issue 18): a week of the
// simulator's ENT 92 logs with 0.5 % of the records torn, glued or
// interleaved, imported the way `entpipe import` does, gives every day's
// visits, page views and unique visitors of the same log without the
// damaged records.
func TestTornRecordsAcceptance(t *testing.T) {
	from, to := civilDay(2020, 3, 23), civilDay(2020, 3, 29) // a lockdown week, ending on the 23-hour Sunday
	out := t.TempDir()
	if _, err := simulate.Run(t.Context(), simulate.Options{Out: out, From: from, To: to, Scale: 0.01, Seed: 18,
		ENTs: []string{"ent92"}, InfluxURL: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(out, "logs", "ent92", "access.log-*"))
	if err != nil || len(paths) != 7 {
		t.Fatalf("simulated logs: %v %v", paths, err)
	}
	var lines []string
	for _, p := range paths { // the names sort by day
		lines = append(lines, readLogLines(t, p)...)
	}
	l := damageLog(lines, 0.005, rand.New(rand.NewPCG(18, 19)))
	t.Logf("%d records: %d torn (%d of them inside the profile, counted), %d glued, %d interleaved",
		len(lines), l.torn, l.countedHeads, l.glued, l.interleaved)
	if l.torn == 0 || l.glued == 0 || l.interleaved == 0 || l.countedHeads == 0 {
		t.Fatal("the generator did not make every kind of damage")
	}
	dir := t.TempDir()
	config := filepath.Join(out, "entpipe.yaml")
	_, want := recordImport(t, config, "ent92", []string{writeLogFile(t, filepath.Join(dir, "reference.log"), l.reference)})
	sum, got := recordImport(t, config, "ent92", []string{writeLogFile(t, filepath.Join(dir, "damaged.log"), l.damaged)})
	rejected := sum.Lines - sum.Results[collector.ResultParsed]
	t.Logf("damaged log: %d lines, %d rejected: %v", sum.Lines, rejected, sum.Results)

	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	exact := 0
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		w, g := dayAudience(want, d, loc), dayAudience(got, d, loc)
		if w[0] == 0 {
			t.Fatalf("%s: no visits in the reference", d.Format(time.DateOnly))
		}
		if g != w {
			t.Errorf("%s: visits, page views, unique visitors = %v, want %v", d.Format(time.DateOnly), g, w)
		} else {
			exact++
		}
	}
	t.Logf("%d of 7 days exact", exact)
}

// dayAudience returns a Paris day's visits, page views and unique visitors
// (all profiles) from the points InfluxDB would hold.
func dayAudience(points map[string]collector.Point, day time.Time, loc *time.Location) [3]int64 {
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	end := start.AddDate(0, 0, 1)
	var a [3]int64
	for _, p := range points {
		switch {
		case p.Time.Before(start) || !p.Time.Before(end):
		case p.Measurement == collector.MeasTraffic:
			a[0] += p.Fields[collector.FieldVisits].(int64)
			a[1] += p.Fields[collector.FieldPageViews].(int64)
		case p.Measurement == collector.MeasVisitors && p.Tags[collector.TagPeriod] == collector.PeriodDay:
			a[2] += p.Fields[collector.FieldUniqueVisitors].(int64)
		}
	}
	return a
}

func readLogLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// writeLogFile writes lines, each ended by a newline, to path and returns
// path.
func writeLogFile(t *testing.T, path string, lines []string) string {
	writeLines(t, path, []byte(strings.Join(lines, "\n")+"\n"))
	return path
}
