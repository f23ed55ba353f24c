package influx

import (
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/entpipe/entpipe/collector"
)

// v2Encoder encodes points with line-protocol/v2's Encoder, in
// collector.AppendLine's key order. Reused, it keeps its buffers as
// AppendLine's caller does, so BenchmarkLineProtocolV2 compares the same
// work.
type v2Encoder struct {
	enc  lineprotocol.Encoder
	keys []string
}

// encode returns p's line without the newline EndLine adds, valid until the
// next call.
func (e *v2Encoder) encode(p collector.Point) ([]byte, error) {
	e.enc.Reset()
	e.enc.StartLine(p.Measurement)
	e.keys = slices.AppendSeq(e.keys[:0], maps.Keys(p.Tags))
	slices.Sort(e.keys)
	for _, k := range e.keys {
		e.enc.AddTag(k, p.Tags[k])
	}
	e.keys = slices.AppendSeq(e.keys[:0], maps.Keys(p.Fields))
	slices.Sort(e.keys)
	for _, k := range e.keys {
		v, ok := lineprotocol.NewValue(p.Fields[k])
		if !ok {
			return nil, errors.New("not a line-protocol value")
		}
		e.enc.AddField(k, v)
	}
	e.enc.EndLine(p.Time)
	if err := e.enc.Err(); err != nil {
		return nil, err
	}
	out := e.enc.Bytes()
	return out[:len(out)-1], nil
}

// checkAgainstV2 encodes p with both encoders: they must accept and refuse
// the same points and write the same bytes, and line-protocol/v2's Decoder
// must read back exactly p from collector.AppendLine's line. The one
// difference: AppendLine refuses a measurement starting with "#", which
// the Encoder writes and every reader skips as a comment.
func checkAgainstV2(t *testing.T, p collector.Point) {
	t.Helper()
	ours, errOurs := collector.AppendLine(nil, p)
	theirs, errTheirs := new(v2Encoder).encode(p)
	if strings.HasPrefix(p.Measurement, "#") {
		if errOurs == nil {
			t.Fatalf("%+v: a comment line was encoded: %q", p, ours)
		}
		return
	}
	if (errOurs == nil) != (errTheirs == nil) {
		t.Fatalf("%+v: AppendLine error %v, line-protocol/v2 error %v", p, errOurs, errTheirs)
	}
	if errOurs != nil {
		return
	}
	if string(ours) != string(theirs) {
		t.Fatalf("%+v:\nAppendLine       %q\nline-protocol/v2 %q", p, ours, theirs)
	}
	dec := lineprotocol.NewDecoderWithBytes(ours)
	if !dec.Next() {
		t.Fatalf("%q: no line decoded", ours)
	}
	m, err := dec.Measurement()
	if err != nil || string(m) != p.Measurement {
		t.Fatalf("%q: measurement %q, %v", ours, m, err)
	}
	tags := map[string]string{}
	each(t, dec.NextTag, func(k, v []byte) { tags[string(k)] = string(v) })
	for k, v := range p.Tags {
		if tags[k] != v {
			t.Fatalf("%q: tag %q decoded as %q, want %q", ours, k, tags[k], v)
		}
	}
	fields := 0
	each(t, dec.NextField, func(k []byte, v lineprotocol.Value) {
		fields++
		if !v.Equal(lineprotocol.MustNewValue(p.Fields[string(k)])) {
			t.Fatalf("%q: field %q decoded as %v, want %v", ours, k, v, p.Fields[string(k)])
		}
	})
	at, err := dec.Time(lineprotocol.Nanosecond, time.Time{})
	if err != nil || !at.Equal(p.Time) || fields != len(p.Fields) || len(tags) != len(p.Tags) {
		t.Fatalf("%q: time %v (%v), %d fields, %d tags", ours, at, err, fields, len(tags))
	}
}

// each calls do with every key and value next returns, until a nil key.
func each[V any](t *testing.T, next func() ([]byte, V, error), do func([]byte, V)) {
	t.Helper()
	for {
		k, v, err := next()
		if err != nil {
			t.Fatal(err)
		}
		if k == nil {
			return
		}
		do(k, v)
	}
}

// FuzzAppendLineMatchesLineProtocolV2 checks collector.AppendLine, the one
// encoder of points, against github.com/influxdata/line-protocol/v2 on any
// names and values. The seeds run as a unit test:
//
//	go test -run '^$' -fuzz FuzzAppendLineMatchesLineProtocolV2 -fuzztime 60s ./exporters/influx/
func FuzzAppendLineMatchesLineProtocolV2(f *testing.F) {
	for _, s := range []string{"ent_service", "a b", "a,b", "a=b", `a\b`, `a\`, `a\ b`, `\`, "", "élève",
		"\xe9", "a\nb", "a\rb", "a\tb", "a\x00", "\x7f", "a\"b", "#", " ", "=", ",", "\u00a0", "a\u2028b"} {
		f.Add(s, "profile", s, s, int64(1), 0.5, int64(1585548000000000000))
		f.Add("ent_service", s, "eleve", "page_views", int64(-7), 1e21, int64(0))
	}
	f.Add("m", "t", "v", "f", int64(math.MinInt64), math.Copysign(0, -1), int64(math.MinInt64))
	f.Add("m", "t", "v", "f", int64(math.MaxInt64), math.SmallestNonzeroFloat64, int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, meas, tagKey, tagValue, fieldKey string, iv int64, fv float64, ns int64) {
		p := collector.Point{Measurement: meas, Time: time.Unix(0, ns),
			Tags:   map[string]string{tagKey: tagValue, "department": "92"},
			Fields: map[string]any{fieldKey: iv, fieldKey + "_f": fv}}
		checkAgainstV2(t, p)
	})
}

func TestSplitLines(t *testing.T) {
	for _, body := range []string{"a\nb", "aaaaaaaa\nb", "a\nbbbbbbbbb", "a\nb\nc\nd\ne"} {
		first, second, err := splitLines([]byte(body))
		if err != nil || len(first) == 0 || len(second) == 0 || string(first)+"\n"+string(second) != body {
			t.Errorf("split %q = %q, %q, %v", body, first, second, err)
		}
		if countLines(first)+countLines(second) != countLines([]byte(body)) {
			t.Errorf("split %q loses lines", body)
		}
	}
	if _, _, err := splitLines([]byte("single")); err == nil {
		t.Error("a single line was split")
	}
}
