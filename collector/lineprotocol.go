package collector

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendLine appends p as one line of InfluxDB line protocol, without a
// trailing newline: tags and fields in key order, integers with the "i"
// suffix, floats in the shortest form that reads back the same, the time in
// nanoseconds. It is the one encoder of points: the InfluxDB sink writes its
// output and the testdata goldens are its output, so a golden shows what
// InfluxDB receives.
//
// It refuses what github.com/influxdata/line-protocol/v2's Encoder refuses
// (a test in exporters/influx compares the two on fuzzed points): an empty
// measurement, tag key, tag value or field key; invalid UTF-8; a control
// character (0x00–0x1f, 0x7f: a newline would split the line); a trailing
// backslash, which the escaping cannot round-trip. It also refuses a
// measurement starting with "#", which line-protocol/v2 accepts but every
// reader (its Decoder, InfluxDB) skips as a comment line, and what entpipe's
// contract excludes: no field, a value other than a finite int64
// or float64, a zero time or one outside int64 nanoseconds (1677–2262).
// On error b is returned unchanged.
//
// Why not line-protocol/v2's Encoder itself: on entpipe's points it takes
// about twice as long for the same work (sorted keys, validation:
// 0.86–0.91 µs against 0.43–0.44 µs a point; BenchmarkAppendLine and
// BenchmarkLineProtocolV2 in exporters/influx), and collector imports only
// the standard library. AppendLine does not
// allocate: the sink encodes every point it is given, its main CPU cost
// when imports are point-bound.
func AppendLine(b []byte, p Point) ([]byte, error) {
	start := len(b)
	if len(p.Fields) == 0 {
		return b, fmt.Errorf("point %q has no field", p.Measurement)
	}
	if p.Time.IsZero() || p.Time.Before(time.Unix(0, math.MinInt64)) || p.Time.After(time.Unix(0, math.MaxInt64)) {
		return b, fmt.Errorf("point %q: time %s cannot be written (zero, or outside 1677–2262)", p.Measurement, p.Time.UTC().Format(time.RFC3339))
	}
	b, ok := appendName(b, p.Measurement, false)
	if !ok || p.Measurement[0] == '#' {
		return b[:start], fmt.Errorf("invalid measurement name %q", p.Measurement)
	}
	// Keys and values are gathered in one pass over each map, then sorted
	// by key in place: no allocation for entpipe's points (at most 10
	// fields), no second lookup per key.
	var tagBuf [8]pair[string]
	for _, t := range sortedPairs(tagBuf[:0], p.Tags) {
		b = append(b, ',')
		var okV bool
		b, ok = appendName(b, t.k, true)
		b = append(b, '=')
		b, okV = appendName(b, t.v, true)
		if !ok || !okV {
			return b[:start], fmt.Errorf("point %q: invalid tag %q=%q", p.Measurement, t.k, t.v)
		}
	}
	var fieldBuf [16]pair[any]
	for i, f := range sortedPairs(fieldBuf[:0], p.Fields) {
		if i == 0 {
			b = append(b, ' ')
		} else {
			b = append(b, ',')
		}
		k := f.k
		if b, ok = appendName(b, k, true); !ok {
			return b[:start], fmt.Errorf("point %q: invalid field key %q", p.Measurement, k)
		}
		b = append(b, '=')
		switch v := f.v.(type) {
		case int64:
			b = strconv.AppendInt(b, v, 10)
			b = append(b, 'i')
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return b[:start], fmt.Errorf("point %q: field %s is %v, which InfluxDB cannot store", p.Measurement, k, v)
			}
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		default:
			return b[:start], fmt.Errorf("point %q: field %s has type %T; fields are int64 or float64", p.Measurement, k, v)
		}
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, p.Time.UnixNano(), 10)
	return b, nil
}

// pair is a tag (V string) or a field (V any) of a point.
type pair[V any] struct {
	k string
	v V
}

// sortedPairs appends the entries of m to s sorted by key: an insertion
// sort, quicker than a general sort for the handful of tags and fields of
// a point.
func sortedPairs[V any](s []pair[V], m map[string]V) []pair[V] {
	for k, v := range m {
		s = append(s, pair[V]{k, v})
		for j := len(s) - 1; j > 0 && s[j].k < s[j-1].k; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// appendName appends s, a measurement (eq false) or a tag key, tag value or
// field key (eq true), with a backslash before commas, spaces and, when eq,
// equal signs; a backslash itself is written as is, as line-protocol/v2
// does. It reports false for what line protocol cannot carry (see
// AppendLine); b then holds a partial name the caller cuts off. One pass
// of byte tests, then a whole copy for the usual clean ASCII name: this
// runs several times per point.
func appendName(b []byte, s string, eq bool) ([]byte, bool) {
	if s == "" || s[len(s)-1] == '\\' {
		return b, false
	}
	// One subtraction and one shift per printable byte: special has a bit
	// for each byte (minus 0x20) that needs a backslash.
	special := uint64(1<<(' '-0x20) | 1<<(','-0x20))
	if eq {
		special |= 1 << ('=' - 0x20)
	}
	var hit uint64
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i] - 0x20 // printable ASCII is 0x00–0x5e now
		if c >= 0x5f {
			if c == 0x5f || c >= 0xe0 { // DEL, or a control byte below 0x20
				return b, false
			}
			ascii = false
			continue
		}
		hit |= special >> c
	}
	if !ascii && !utf8.ValidString(s) {
		return b, false
	}
	if hit&1 == 0 {
		return append(b, s...), true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ',' || c == ' ' || c == '=' && eq {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return b, true
}
