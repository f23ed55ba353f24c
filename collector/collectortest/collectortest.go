// Package collectortest helps test sources: a Recorder Sink that keeps what
// it is given, and a canonical, sorted InfluxDB line-protocol rendering of
// points, the format of every testdata/<case>/want.lp golden.
package collectortest

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

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
// tags and fields in key order, nanosecond timestamps, integers with the
// "i" suffix. When the same series and time appear more than once, the last
// one wins, as an InfluxDB upsert does, so goldens show what InfluxDB holds.
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

// Line renders one point and returns its series-and-time key with it.
func Line(p collector.Point) (key, line string) {
	var b strings.Builder
	b.WriteString(escape(p.Measurement, ", "))
	for _, k := range sortedKeys(p.Tags) {
		fmt.Fprintf(&b, ",%s=%s", escape(k, ",= "), escape(p.Tags[k], ",= "))
	}
	key = b.String() + " " + strconv.FormatInt(p.Time.UnixNano(), 10)
	for i, k := range sortedKeys(p.Fields) {
		sep := ","
		if i == 0 {
			sep = " "
		}
		fmt.Fprintf(&b, "%s%s=%s", sep, escape(k, ",= "), fieldValue(p.Fields[k]))
	}
	fmt.Fprintf(&b, " %d", p.Time.UnixNano())
	return key, b.String()
}

func fieldValue(v any) string {
	switch v := v.(type) {
	case int64:
		return strconv.FormatInt(v, 10) + "i"
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	default:
		panic(fmt.Sprintf("BUG: field value of type %T; fields are int64 or float64", v))
	}
}

func escape(s, chars string) string {
	if !strings.ContainsAny(s, chars+`\`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(chars, r) || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
