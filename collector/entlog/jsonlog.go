package entlog

import (
	"fmt"
	"time"
)

// maxJSONDepth bounds the nesting the JSON parser follows, so a line of a
// million `[` cannot exhaust the stack.
const maxJSONDepth = 16

// timeLayouts are the named layouts of json.time_layouts.
func timeLayouts() map[string]bool {
	return map[string]bool{"iso8601": true, "common": true, "unix": true, "unix_ms": true}
}

// durationUnits divide a json duration into seconds.
func durationUnits() map[string]float64 { return map[string]float64{"s": 1, "ms": 1e3, "us": 1e6} }

// jsonParser reads JSON-lines application logs: one object per line, the
// roles found under the keys of cfg.Fields (dotted keys reach into nested
// objects), other keys skipped. It scans the line in place without building
// values: strings alias the line, or a reused scratch buffer when they hold
// escapes, so steady-state parsing does not allocate (Go time layouts in
// json.time_layouts do). Not safe for concurrent use.
type jsonParser struct {
	keys    map[string]role
	layouts []string
	durDiv  float64
	loc     *time.Location
	times   *timeParser
	path    []byte // dotted prefix of the object being scanned
	scratch []byte // unescaped strings of the current line
}

func newJSONParser(cfg ParseConfig, loc *time.Location) (*jsonParser, error) {
	if loc == nil {
		loc = time.UTC
	}
	p := &jsonParser{keys: map[string]role{}, layouts: cfg.JSON.TimeLayouts, loc: loc,
		times: newTimeParser(loc), path: make([]byte, 0, 256)}
	// Unmapped roles use their own name as key; explicit mappings, set
	// last, win when they reuse such a name (fields: {user: ip}).
	for _, name := range FieldRoles() {
		if r, _ := roleOf(name); cfg.Fields[name] == "" {
			p.keys[name] = r
		}
	}
	for name, key := range cfg.Fields {
		if r, ok := roleOf(name); ok && key != "" {
			p.keys[key] = r
		}
	}
	if len(p.layouts) == 0 {
		p.layouts = []string{"iso8601"}
	}
	div, ok := durationUnits()[cfg.JSON.DurationUnit]
	if cfg.JSON.DurationUnit == "" {
		div, ok = 1, true
	}
	if !ok {
		return nil, fmt.Errorf("unknown duration unit %q", cfg.JSON.DurationUnit)
	}
	p.durDiv = div
	return p, nil
}

// Parse implements Parser.
func (p *jsonParser) Parse(line []byte, r *Request) error {
	*r = Request{}
	if err := checkLine(line); err != nil {
		return err
	}
	if cap(p.scratch) < len(line) {
		p.scratch = make([]byte, 0, len(line)) // unescaped text is never longer than the line
	}
	p.scratch, p.path = p.scratch[:0], p.path[:0]
	var seen fieldSet
	pos := skipSpace(line, 0)
	if pos >= len(line) || line[pos] != '{' {
		return errBadJSON
	}
	pos, err := p.object(line, pos, 0, r, &seen)
	if err != nil {
		return err
	}
	if skipSpace(line, pos) != len(line) {
		return errBadJSON
	}
	if r.HasDuration {
		r.Duration /= p.durDiv
	}
	return complete(r, seen)
}

// object scans the object starting at data[pos] == '{' and returns the
// position after its '}'.
func (p *jsonParser) object(data []byte, pos, depth int, r *Request, seen *fieldSet) (int, error) {
	if depth >= maxJSONDepth {
		return 0, errBadJSON
	}
	pos = skipSpace(data, pos+1)
	if pos < len(data) && data[pos] == '}' {
		return pos + 1, nil
	}
	for {
		if pos >= len(data) || data[pos] != '"' {
			return 0, errBadJSON
		}
		keyEnd, _, ok := stringEnd(data, pos)
		if !ok {
			return 0, errBadJSON
		}
		key := data[pos+1 : keyEnd-1]
		pos = skipSpace(data, keyEnd)
		if pos >= len(data) || data[pos] != ':' {
			return 0, errBadJSON
		}
		pos = skipSpace(data, pos+1)
		var err error
		if pos, err = p.member(data, pos, depth, key, r, seen); err != nil {
			return 0, err
		}
		pos = skipSpace(data, pos)
		if pos >= len(data) {
			return 0, errBadJSON
		}
		switch data[pos] {
		case '}':
			return pos + 1, nil
		case ',':
			pos = skipSpace(data, pos+1)
		default:
			return 0, errBadJSON
		}
	}
}

// member scans the value of key at data[pos] and, when the dotted key maps
// to a role, decodes it into r.
func (p *jsonParser) member(data []byte, pos, depth int, key []byte, r *Request, seen *fieldSet) (int, error) {
	if pos >= len(data) {
		return 0, errBadJSON
	}
	mark := len(p.path)
	p.path = append(p.path, key...)
	end, err := p.value(data, pos, depth, r, seen)
	p.path = p.path[:mark]
	return end, err
}

// value scans the value at data[pos], p.path holding its dotted key.
func (p *jsonParser) value(data []byte, pos, depth int, r *Request, seen *fieldSet) (int, error) {
	switch c := data[pos]; {
	case c == '{':
		p.path = append(p.path, '.')
		return p.object(data, pos, depth+1, r, seen)
	case c == '[':
		return skipNested(data, pos, depth+1)
	case c == '"':
		end, esc, ok := stringEnd(data, pos)
		if !ok {
			return 0, errBadJSON
		}
		if ro, mapped := p.keys[string(p.path)]; mapped {
			v := data[pos+1 : end-1]
			if esc {
				if v, ok = p.unescape(v); !ok {
					return 0, errBadJSON
				}
			}
			return end, p.set(r, ro, v, seen)
		}
		return end, nil
	default:
		end := pos
		for end < len(data) && scalarByte(data[end]) {
			end++
		}
		v := data[pos:end]
		switch {
		case end == pos:
			return 0, errBadJSON
		case string(v) == "null" || string(v) == "true" || string(v) == "false":
			return end, nil // no usable value: the role stays unset
		case c != '-' && (c < '0' || c > '9'):
			return 0, errBadJSON
		}
		if ro, mapped := p.keys[string(p.path)]; mapped {
			return end, p.set(r, ro, v, seen)
		}
		return end, nil
	}
}

// set decodes one mapped value; time goes through json.time_layouts.
// Applications log the client address in more shapes than nginx's
// $remote_addr (with a port, or the X-Forwarded-For chain): the ip value
// is read as a forwarded list, whose first address is the client.
func (p *jsonParser) set(r *Request, ro role, v []byte, seen *fieldSet) error {
	if ro == roleIP {
		first, ok := forwardedFor(v)
		if !ok {
			return errBadAddress
		}
		r.IP = first
		return nil
	}
	if ro != roleTimeISO {
		return setField(r, ro, v, seen, false)
	}
	for _, layout := range p.layouts {
		if t, ok := p.parseTime(layout, v); ok {
			r.Time = t
			*seen |= 1 << ro
			return nil
		}
	}
	return errBadTime
}

func (p *jsonParser) parseTime(layout string, v []byte) (time.Time, bool) {
	switch layout {
	case "iso8601":
		return p.times.iso(v)
	case "common":
		return p.times.local(v)
	case "unix":
		return p.times.unix(v, time.Second)
	case "unix_ms":
		return p.times.unix(v, time.Millisecond)
	}
	t, err := time.ParseInLocation(layout, string(v), p.loc)
	return t.UTC(), err == nil && saneTime(t)
}
