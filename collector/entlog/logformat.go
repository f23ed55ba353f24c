package entlog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"time"
)

// The built-in formats are nginx log_format strings compiled like any other.
const (
	// CombinedFormat is nginx's predefined combined format (Apache's too).
	CombinedFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`
	// ENTFormat is combined followed by the request time and the profile
	// the ENT puts in the $ent_profile variable.
	ENTFormat = CombinedFormat + ` $request_time "$ent_profile"`
)

// segment is one variable of a compiled log_format and the literal text
// that follows it.
type segment struct {
	name  string // variable name, for error messages
	role  role
	after []byte // literal ending the value; empty: the value runs to the end of the line
	// quoted: between double quotes. The value ends at the first quote
	// not escaped as \" (nginx writes " inside values as \x22), and that
	// quote must begin after.
	quoted bool
	// free: unquoted text that no field check reads (a skipped variable,
	// the URI, the user agent). It may not hold a raw quote, which nginx
	// and Apache always escape: one there is another record's.
	free bool
	skip int // bytes that cannot hold the literal (the space inside $time_local)
}

// formatParser parses lines written by one nginx log_format: a leading
// literal, then variables each ended by the literal that follows it. An
// unquoted value is the text up to the first occurrence of that literal,
// so two variables must be separated by some literal text; a quoted value
// ends at its closing quote, and the literal must follow it there. nginx
// escapes `"` in values (\x22), and Apache's \" escapes are honoured
// between quotes. Text after the last literal is ignored when it starts
// with a space or tab, so a format may be a prefix of the real one
// (combined reads ent lines). Not safe for concurrent use.
//
// Being strict about where values end is what rejects torn records: a
// record cut short and glued to the next one (concurrent writers, a crash
// mid-write) puts the next record's quotes where a value should end.
type formatParser struct {
	lead  []byte
	segs  []segment
	times *timeParser
}

// compileLogFormat compiles format. custom maps variable names (without $)
// to roles; it overrides the standard nginx meanings.
func compileLogFormat(format string, custom map[string]role, loc *time.Location) (*formatParser, error) {
	p := &formatParser{times: newTimeParser(loc)}
	std := nginxVariables()
	var lit []byte
	cur := -1 // index of the variable the pending literal follows
	flush := func() {
		if cur < 0 {
			p.lead = lit
		} else {
			p.segs[cur].after = lit
		}
		lit = nil
	}
	for i := 0; i < len(format); {
		if format[i] != '$' {
			lit = append(lit, format[i])
			i++
			continue
		}
		name, n := variableAt(format[i+1:])
		if name == "" {
			return nil, fmt.Errorf("position %d: %q is not followed by a variable name", i, '$')
		}
		if cur >= 0 && len(lit) == 0 {
			return nil, fmt.Errorf("variables $%s and $%s are not separated by any text", p.segs[cur].name, name)
		}
		quoted := len(lit) > 0 && lit[len(lit)-1] == '"'
		flush()
		ro, ok := custom[name]
		if !ok {
			ro = std[name]
		}
		p.segs = append(p.segs, segment{name: name, role: ro, quoted: quoted})
		cur = len(p.segs) - 1
		i += 1 + n
	}
	flush()
	var has fieldSet
	for i := range p.segs {
		s := &p.segs[i]
		has |= 1 << s.role
		s.quoted = s.quoted && len(s.after) > 0 && s.after[0] == '"'
		s.free = !s.quoted && (s.role == roleSkip || s.role == roleURI || s.role == roleUserAgent || s.role == roleRequest)
		if s.role == roleTimeLocal && len(s.after) > 0 && s.after[0] == ' ' {
			s.skip = len("30/Mar/2020:08:00:00 ")
		}
	}
	switch {
	case !has.hasTime():
		return nil, fmt.Errorf("needs $time_local, $time_iso8601 or $msec (or a variable mapped to time)")
	case !has.has(roleRequest) && !has.has(roleURI):
		return nil, fmt.Errorf("needs $request or $request_uri (or a variable mapped to path)")
	case !has.has(roleRequest) && !has.has(roleMethod):
		return nil, fmt.Errorf("needs $request or $request_method (or a variable mapped to method)")
	case !has.has(roleStatus):
		return nil, fmt.Errorf("needs $status (or a variable mapped to status)")
	case !has.has(roleUserAgent):
		return nil, fmt.Errorf("needs $http_user_agent (or a variable mapped to user_agent): without it every request is a bot")
	}
	return p, nil
}

// variableAt reads a variable name at the start of s: `name` or `{name}`,
// letters, digits and underscores. It returns the name and the bytes used.
func variableAt(s string) (string, int) {
	braced := len(s) > 0 && s[0] == '{'
	start := 0
	if braced {
		start = 1
	}
	end := start
	for end < len(s) && (s[end] == '_' || s[end] >= 'a' && s[end] <= 'z' || s[end] >= 'A' && s[end] <= 'Z' || s[end] >= '0' && s[end] <= '9') {
		end++
	}
	if end == start {
		return "", 0
	}
	if braced {
		if end >= len(s) || s[end] != '}' {
			return "", 0
		}
		return s[start:end], end + 1
	}
	return s[start:end], end
}

// Parse implements Parser.
func (p *formatParser) Parse(line []byte, r *Request) error {
	*r = Request{}
	if err := checkLine(line); err != nil {
		return err
	}
	if !bytes.HasPrefix(line, p.lead) {
		return errMalformed
	}
	pos := len(p.lead)
	var seen fieldSet
	last := len(p.segs) - 1
	for i := range p.segs {
		s := &p.segs[i]
		end, next := len(line), len(line)
		switch {
		case s.quoted:
			end = s.closingQuote(line, pos)
			switch {
			case end >= 0:
				next = end + len(s.after)
			case end == noClosingQuote && i == last:
				// The format's last value, quoted, cut at the end of the
				// line (a truncated user agent): still a request when
				// every other field validates, as GoAccess counts it.
				end = len(line)
			default:
				return errBadQuote
			}
		case len(s.after) > 0:
			if end = s.find(line, pos); end < 0 {
				return errMalformed
			}
			next = end + len(s.after)
		}
		v := line[pos:end]
		if s.free && indexByte(v, '"') >= 0 {
			return errBadQuote
		}
		pos = next
		if err := p.set(r, s.role, v, &seen); err != nil {
			return err
		}
	}
	if pos < len(line) && line[pos] != ' ' && line[pos] != '\t' {
		return errTrailing
	}
	return complete(r, seen)
}

// set decodes one value; the time roles are handled here because they need
// the parser's zone and cache. Values are delimited by the format's text,
// so setField checks that users and profiles did not run into the next
// record.
func (p *formatParser) set(r *Request, ro role, v []byte, seen *fieldSet) error {
	if ro-roleTimeLocal > roleTimeUnix-roleTimeLocal { // one branch for every other role
		return setField(r, ro, v, seen, true)
	}
	var ok bool
	switch ro {
	case roleTimeLocal:
		r.Time, ok = p.times.local(v)
	case roleTimeISO:
		r.Time, ok = p.times.iso(v)
	default:
		r.Time, ok = p.times.unix(v, time.Second)
	}
	if !ok {
		return errBadTime
	}
	*seen |= 1 << ro
	return nil
}

// find returns the index of s.after in line at or after pos (an unquoted
// value's end), or -1.
func (s *segment) find(line []byte, pos int) int {
	from := pos + s.skip
	first := s.after[0]
	for from < len(line) {
		i := indexByte(line[from:], first)
		if i < 0 {
			return -1
		}
		i += from
		if hasPrefix(line[i:], s.after) {
			return i
		}
		from = i + 1
	}
	return -1
}

// closingQuote results besides an index.
const (
	noClosingQuote = -1 // the line ends inside the value
	wrongFollower  = -2 // the closing quote is not followed by the format's literal
)

// closingQuote returns the index of the quote ending a quoted value that
// starts at pos: the first quote not escaped by a backslash, which must
// begin s.after.
func (s *segment) closingQuote(line []byte, pos int) int {
	for from := pos; ; {
		i := indexByte(line[from:], '"')
		if i < 0 {
			return noClosingQuote
		}
		i += from
		if !escaped(line[pos:i]) {
			if hasPrefix(line[i:], s.after) {
				return i
			}
			return wrongFollower
		}
		from = i + 1
	}
}

// indexByte is bytes.IndexByte with the first 16 bytes tested a word at a
// time: most fields (addresses, status, sizes, times) end within a few
// bytes, where the call to the vectorised search costs more than it saves.
// In x = word ^ (c repeated), (x - 0x01…) &^ x & 0x80… flags the bytes
// equal to c; the lowest flag is always exact (borrows only reach upwards).
func indexByte(b []byte, c byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	pattern := uint64(c) * ones
	i := 0
	for ; i < 16 && i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:]) ^ pattern
		if m := (x - ones) &^ x & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	if j := bytes.IndexByte(b[i:], c); j >= 0 {
		return i + j
	}
	return -1
}

// hasPrefix is bytes.HasPrefix inlined for the short literals of formats.
func hasPrefix(b, prefix []byte) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i, c := range prefix {
		if b[i] != c {
			return false
		}
	}
	return true
}

// escaped reports whether the quote following v is escaped by an odd run
// of backslashes at the end of v.
func escaped(v []byte) bool {
	n := 0
	for i := len(v) - 1; i >= 0 && v[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// complete checks that the line gave every field a Request needs.
func complete(r *Request, seen fieldSet) error {
	switch {
	case !seen.hasTime():
		return errBadTime
	case !seen.has(roleStatus):
		return errBadStatus
	case len(r.Path) == 0:
		return errMissingPath
	case len(r.Method) == 0:
		return errBadRequest
	}
	return nil
}
