// Package collectortest helps test sources: a Recorder Sink that keeps what
// it is given, a sorted InfluxDB line-protocol rendering of points by the
// sink's own encoder, the format of every testdata/<case>/want.lp golden,
// the comparison with a golden file, and with a generated section of a
// document.
package collectortest

import (
	"context"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/entpipe/entpipe/collector"
)

// Recorder is a Sink that records copies of every point written to it. Flush
// counts calls so tests can check that sources flush before checkpointing.
type Recorder struct {
	mu      sync.Mutex
	points  []collector.Point
	flushes int
}

// Write implements collector.Sink.
func (r *Recorder) Write(_ context.Context, points []collector.Point) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range points {
		r.points = append(r.points, Clone(p))
	}
	return nil
}

// Flush implements collector.Sink.
func (r *Recorder) Flush(context.Context) error {
	r.mu.Lock()
	r.flushes++
	r.mu.Unlock()
	return nil
}

// Points returns a copy of everything written so far.
func (r *Recorder) Points() []collector.Point {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]collector.Point(nil), r.points...)
}

// Flushes returns the number of Flush calls.
func (r *Recorder) Flushes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.flushes
}

// Clone deep-copies a point, as a sink must before retaining it.
func Clone(p collector.Point) collector.Point {
	q := p
	q.Tags = make(map[string]string, len(p.Tags))
	for k, v := range p.Tags {
		q.Tags[k] = v
	}
	q.Fields = make(map[string]any, len(p.Fields))
	for k, v := range p.Fields {
		q.Fields[k] = v
	}
	return q
}

// LineProtocol renders points as sorted line protocol, one point a line,
// with collector.AppendLine, the encoder of the InfluxDB sink: a golden
// shows the bytes InfluxDB receives. When the same series and time appear
// more than once, the last one wins, as an InfluxDB upsert does, so goldens
// show what InfluxDB holds. A point the sink would refuse is rendered as a
// "# rejected: …" line, so a golden shows that too.
func LineProtocol(points []collector.Point) string {
	last := map[string]string{}
	for _, p := range points {
		key, line := Line(p)
		last[key] = line
	}
	lines := make([]string, 0, len(last))
	for _, l := range last {
		lines = append(lines, l)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// Line renders one point and returns its series-and-time key with it (a
// point that cannot be encoded is its own key).
func Line(p collector.Point) (key, line string) {
	b, err := collector.AppendLine(nil, p)
	if err != nil {
		line = "# rejected: " + err.Error()
		return line, line
	}
	var k strings.Builder
	k.WriteString(p.Measurement)
	for _, t := range sortedKeys(p.Tags) {
		k.WriteString("\x00" + t + "\x00" + p.Tags[t]) // NUL cannot occur in a name that encodes
	}
	k.WriteString("\x00" + strconv.FormatInt(p.Time.UnixNano(), 10))
	return k.String(), string(b)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Golden compares got with the golden file at path, after rewriting the
// file with got when update is set (the -update flag of the test).
func Golden(t testing.TB, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("differs from %s (-update rewrites it):\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

// GeneratedSection keeps the part of the file at path between the lines
// begin and end (each ending in a newline) equal to content, which the test
// generates from the code: a document's table of metrics, say. With update
// (the test's -update flag) it rewrites that part and leaves the rest of
// the file alone; without, a difference fails the test with the command
// that rewrites it.
func GeneratedSection(t testing.TB, path, begin, end, content string, update bool) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(raw), begin)
	section, after, ok2 := strings.Cut(rest, end)
	if !ok1 || !ok2 {
		t.Fatalf("%s: no generated section (%q … %q)", path, begin, end)
	}
	if update {
		if err := os.WriteFile(path, []byte(before+begin+content+end+after), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if section != content {
		t.Errorf("%s: the section after %q differs from the code; go test -run '^%s$' -update (in the test's package) rewrites it",
			path, strings.TrimSuffix(begin, "\n"), t.Name())
	}
}
