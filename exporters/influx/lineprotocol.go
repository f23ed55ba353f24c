package influx

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/entpipe/entpipe/collector"
)

// appendLine appends p as one line of InfluxDB line protocol (tags and
// fields in key order, nanosecond time, integers with the "i" suffix, no
// trailing newline). Points are encoded when Write is called, so the sink
// never retains the caller's maps. An error means the point cannot be
// represented (no field, a NaN, a type other than int64 or float64, a
// newline in a name); b is then returned unchanged.
func appendLine(b []byte, p collector.Point) ([]byte, error) {
	if len(p.Fields) == 0 {
		return b, fmt.Errorf("point %s has no field", p.Measurement)
	}
	start := len(b)
	b, ok := appendName(b, p.Measurement, false)
	if p.Measurement == "" || !ok {
		return b[:start], fmt.Errorf("invalid measurement name %q", p.Measurement)
	}
	var keyBuf [16]string
	tags := keyBuf[:0]
	for k, v := range p.Tags {
		if v != "" { // InfluxDB has no empty tag value: the tag is absent
			tags = append(tags, k)
		}
	}
	slices.Sort(tags)
	for _, k := range tags {
		v := p.Tags[k]
		b = append(b, ',')
		var okV bool
		b, ok = appendName(b, k, true)
		b = append(b, '=')
		b, okV = appendName(b, v, true)
		if k == "" || !ok || !okV {
			return b[:start], fmt.Errorf("point %s: invalid tag %q=%q", p.Measurement, k, v)
		}
	}
	fields := tags[len(tags):]
	for k := range p.Fields {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	for i, k := range fields {
		if i == 0 {
			b = append(b, ' ')
		} else {
			b = append(b, ',')
		}
		if b, ok = appendName(b, k, true); k == "" || !ok {
			return b[:start], fmt.Errorf("point %s: invalid field key %q", p.Measurement, k)
		}
		b = append(b, '=')
		switch v := p.Fields[k].(type) {
		case int64:
			b = strconv.AppendInt(b, v, 10)
			b = append(b, 'i')
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return b[:start], fmt.Errorf("point %s: field %s is %v, which InfluxDB cannot store", p.Measurement, k, v)
			}
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		default:
			return b[:start], fmt.Errorf("point %s: field %s has type %T; fields are int64 or float64", p.Measurement, k, v)
		}
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, p.Time.UnixNano(), 10)
	return b, nil
}

// appendName appends s, a measurement (eq false) or a tag key, tag value
// or field key (eq true), with a backslash before commas, spaces and, when
// eq, equal signs. It returns false if s holds a line break, which line
// protocol cannot carry; b then holds a partial name the caller cuts off.
// One pass of byte tests, then a whole copy for the usual clean name: this
// runs several times per point, the sink's main cost in point-bound
// imports (strings.ContainsAny built a byte set on every call).
func appendName(b []byte, s string, eq bool) ([]byte, bool) {
	clean := true
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n', '\r':
			return b, false
		case ',', ' ':
			clean = false
		case '=':
			clean = clean && !eq
		}
	}
	if clean {
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

// errNoLine is returned by splitLines for a body without a newline.
var errNoLine = errors.New("single line")

// splitLines cuts a body of newline-separated lines into two halves of
// about the same byte size, at a line boundary, for bisecting a rejected
// batch.
func splitLines(body []byte) (first, second []byte, err error) {
	mid := len(body) / 2
	if i := bytes.IndexByte(body[mid:], '\n'); i >= 0 {
		return body[:mid+i], body[mid+i+1:], nil
	}
	if i := bytes.LastIndexByte(body[:mid], '\n'); i >= 0 {
		return body[:i], body[i+1:], nil
	}
	return nil, nil, errNoLine
}

// countLines returns the number of points in a body.
func countLines(body []byte) int {
	if len(body) == 0 {
		return 0
	}
	return bytes.Count(body, []byte{'\n'}) + 1
}
