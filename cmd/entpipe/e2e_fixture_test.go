package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/cmd/entpipe/internal/simulate"
	"github.com/entpipe/entpipe/exporters/influx"
	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// The end of every end-to-end fixture. sentinelLines are two bot requests
// hours after the last line: they move event time past every minute of the
// day, so `run` writes them all (a tailing source applies an event once a
// later one is reorder_window newer, and writes a minute once an applied
// event has passed its end; only import, which knows the input is over,
// writes the last open minute). They add no page view, visit or visitor. markerLine is longer than a line may be: `run` counts it as
// entpipe_lines_total{result="too_long"}, which tells the test that the
// process has read everything. Totals are compared before fixtureCutoff,
// which excludes the sentinels' own minutes (open in `run`, written by
// import).
const (
	sentinelLines = `192.0.2.1 - - [31/Mar/2020:03:00:00 +0200] "GET /robots.txt HTTP/1.1" 200 10 "-" "-" 0.001 "-"` + "\n" +
		`192.0.2.1 - - [31/Mar/2020:03:01:00 +0200] "GET /robots.txt HTTP/1.1" 200 10 "-" "-" 0.001 "-"` + "\n"
)

// markerLine is over the 64 KiB line limit of entlog.
var markerLine = strings.Repeat("end of fixture ", 5000) + "\n"

var fixtureCutoff = time.Date(2020, 3, 31, 0, 30, 0, 0, time.UTC)

// liveLog is one ENT's access log written the way nginx and logrotate do:
// appended in whole lines to access.log, which is renamed to access.log.1
// once rotateAt lines are in it.
type liveLog struct {
	name, department string
	dir              string
	lines            [][]byte // each with its newline
	written          int
	rotateAt         int
}

// simulatedLogs generates one lockdown day (2020-03-30) of the three
// simulated ENTs at scale, in memory, and prepares their empty log
// directories under a temporary directory. Each log rotates at rotateFrac
// of its lines.
func simulatedLogs(t testing.TB, scale, rotateFrac float64) []*liveLog {
	t.Helper()
	day := time.Date(2020, 3, 30, 0, 0, 0, 0, time.UTC)
	sim := filepath.Join(t.TempDir(), "sim")
	if _, err := simulate.Run(context.Background(), simulate.Options{Out: sim, From: day, To: day, Scale: scale, Seed: 1, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	live := t.TempDir()
	var logs []*liveLog
	for _, e := range simulate.ENTs() {
		data, err := os.ReadFile(filepath.Join(sim, "logs", e.Name, "access.log-20200330"))
		if err != nil {
			t.Fatal(err)
		}
		l := &liveLog{name: e.Name, department: e.Department, dir: filepath.Join(live, e.Name), lines: bytes.SplitAfter(data, []byte("\n"))}
		if last := l.lines[len(l.lines)-1]; len(last) == 0 {
			l.lines = l.lines[:len(l.lines)-1]
		}
		if slices.ContainsFunc(l.lines, func(b []byte) bool { return len(b) >= len(markerLine) }) {
			t.Fatalf("%s: the simulated log has a line as long as the end marker, which relies on being the only one", e.Name)
		}
		l.lines = append(l.lines, bytes.SplitAfter([]byte(sentinelLines+markerLine), []byte("\n"))...)
		l.lines = l.lines[:len(l.lines)-1] // after the last newline
		l.rotateAt = int(float64(len(l.lines)) * rotateFrac)
		if err := os.MkdirAll(l.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		logs = append(logs, l)
	}
	return logs
}

// glob is the source's paths entry: the current file and the rotated one.
func (l *liveLog) glob() string { return filepath.Join(l.dir, "access.log*") }

// files returns the log files in reading order (rotated first).
func (l *liveLog) files() []string {
	var out []string
	for _, f := range []string{"access.log.1", "access.log"} {
		if _, err := os.Stat(filepath.Join(l.dir, f)); err == nil {
			out = append(out, filepath.Join(l.dir, f))
		}
	}
	return out
}

// advance appends lines until frac of them (1: all, sentinel and marker
// included) are written, rotating on the way, and returns how many it
// appended.
func (l *liveLog) advance(t testing.TB, frac float64) int {
	t.Helper()
	until := min(len(l.lines), int(float64(len(l.lines))*frac))
	n := 0
	for l.written < until {
		end := until
		if l.written < l.rotateAt {
			end = min(end, l.rotateAt)
		}
		f, err := os.OpenFile(filepath.Join(l.dir, "access.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range l.lines[l.written:end] {
			if _, err := f.Write(line); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		n += end - l.written
		l.written = end
		if l.written == l.rotateAt {
			if err := os.Rename(filepath.Join(l.dir, "access.log"), filepath.Join(l.dir, "access.log.1")); err != nil {
				t.Fatal(err)
			}
		}
	}
	return n
}

// advanceAll advances every log and returns the lines appended.
func advanceAll(t testing.TB, logs []*liveLog, frac float64) int {
	n := 0
	for _, l := range logs {
		n += l.advance(t, frac)
	}
	return n
}

// writeConfig writes an entpipe configuration reading logs into bucket, with
// short poll and checkpoint intervals (many checkpoints to crash between),
// a long flush interval (points reach InfluxDB through the checkpoints'
// Flush, or a full batch) and a quick retry backoff (outage tests), and
// returns its path.
func writeConfig(t testing.TB, dataDir, influxURL, bucket string, logs []*liveLog) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "entpipe.yaml")
	if err := os.WriteFile(path, []byte(configYAML(dataDir, influxURL, bucket, logs)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// configYAML is the text of writeConfig's configuration. Its retention
// keeps the 2020 points when a test runs `entpipe influx setup` (the
// default, 25 months, would make InfluxDB refuse them).
func configYAML(dataDir, influxURL, bucket string, logs []*liveLog) string {
	var b strings.Builder
	fmt.Fprintf(&b, `data_dir: %q
timezone: Europe/Paris
influx:
  url: %s
  bucket: %s
  retention: 87600h
  flush_interval: 10s
  retry_interval: 200ms
  max_retry_interval: 2s
sources:
`, dataDir, influxURL, bucket)
	for _, l := range logs {
		fmt.Fprintf(&b, `  - name: %s
    entlog:
      department: %q
      ent: %s
      format: ent
      paths: [%q]
      health_paths: [/healthz]
      services: {/conversation: messagerie, /homeworks: cahier-de-textes, /timeline: fil-de-nouveautes}
      checkpoint_interval: 100ms
      poll_interval: 10ms
`, l.name, l.department, l.name, l.glob())
	}
	return b.String()
}

// importAll runs `entpipe import` of every log's files, source by source.
func importAll(t testing.TB, config string, logs []*liveLog) {
	t.Helper()
	for _, l := range logs {
		args := append([]string{"import", "-config", config, "-source", l.name, "-progress", "never"}, l.files()...)
		runEntpipe(t, 5*time.Minute, args...)
	}
}

// compareWithImport runs `entpipe import` of every log's files into a new
// database, ref, and fails the test unless the totals of s's bucket, where
// `run` wrote, are the same.
func compareWithImport(t testing.TB, s *influxtest.Server, logs []*liveLog, what string) {
	t.Helper()
	s.MustQuery("CREATE DATABASE ref")
	importAll(t, writeConfig(t, filepath.Join(t.TempDir(), "ref"), s.URL, "ref/autogen", logs), logs)
	compareWithRef(t, s, what)
}

// totals returns, for every measurement, tag set and field, the sum and the
// number of its points before fixtureCutoff, keyed "measurement{tags} sum_field".
func totals(t testing.TB, q influx.Querier) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, fn := range []string{"sum", "count"} {
		series, err := q.Query(context.Background(), fmt.Sprintf(`SELECT %s(*) FROM /.*/ WHERE time < '%s' GROUP BY *`, fn, fixtureCutoff.Format(time.RFC3339)))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range series {
			keys := make([]string, 0, len(s.Tags))
			for k, v := range s.Tags {
				keys = append(keys, k+"="+v)
			}
			slices.Sort(keys)
			for _, row := range s.Values {
				for i, col := range s.Columns {
					if col == "time" || row[i] == nil {
						continue
					}
					out[fmt.Sprintf("%s{%s} %s", s.Name, strings.Join(keys, ","), col)] = fmt.Sprint(row[i])
				}
			}
		}
	}
	return out
}

// compareTotals fails the test unless got and want hold the same keys and
// values, listing the first differences.
func compareTotals(t testing.TB, what string, got, want map[string]string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the reference has no totals", what)
	}
	var diffs []string
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			diffs = append(diffs, fmt.Sprintf("%s: got %q, want %q", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: got %q, not in the reference", k, g))
		}
	}
	slices.Sort(diffs)
	if len(diffs) > 0 {
		t.Fatalf("%s: %d of %d totals differ:\n%s", what, len(diffs), len(want), strings.Join(diffs[:min(len(diffs), 30)], "\n"))
	}
	t.Logf("%s: %d totals (sum and count of every field per measurement and tag set) equal the reference", what, len(want))
}
