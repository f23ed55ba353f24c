package entlog

import (
	"unicode/utf16"
	"unicode/utf8"
)

// Low-level JSON scanning for jsonParser: positions in, positions out, no
// values built.

func skipSpace(data []byte, pos int) int {
	for pos < len(data) && (data[pos] == ' ' || data[pos] == '\t' || data[pos] == '\r' || data[pos] == '\n') {
		pos++
	}
	return pos
}

// scalarByte reports whether c can appear in a JSON number or literal.
func scalarByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' ||
		c >= 'a' && c <= 'z'
}

// stringEnd returns the position after the string starting at data[pos]
// == '"' and whether it holds escapes.
func stringEnd(data []byte, pos int) (end int, escapes bool, ok bool) {
	for i := pos + 1; i < len(data); i++ {
		switch data[i] {
		case '"':
			return i + 1, escapes, true
		case '\\':
			escapes = true
			i++
		}
	}
	return 0, false, false
}

// skipNested returns the position after the array or object starting at
// data[pos]; its contents are checked only for balance and strings.
func skipNested(data []byte, pos, depth int) (int, error) {
	if depth >= maxJSONDepth {
		return 0, errBadJSON
	}
	closer := byte(']')
	if data[pos] == '{' {
		closer = '}'
	}
	for i := pos + 1; i < len(data); i++ {
		switch data[i] {
		case closer:
			return i + 1, nil
		case ']', '}':
			return 0, errBadJSON
		case '[', '{':
			end, err := skipNested(data, i, depth+1)
			if err != nil {
				return 0, err
			}
			i = end - 1
		case '"':
			end, _, ok := stringEnd(data, i)
			if !ok {
				return 0, errBadJSON
			}
			i = end - 1
		}
	}
	return 0, errBadJSON
}

// unescape decodes the JSON escapes of v into p.scratch, whose capacity
// (the line length) is never exceeded, so earlier results stay valid.
func (p *jsonParser) unescape(v []byte) ([]byte, bool) {
	start := len(p.scratch)
	out := p.scratch
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i++; i >= len(v) {
			return nil, false
		}
		switch v[i] {
		case '"', '\\', '/':
			out = append(out, v[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n := hex4(v[i+1:])
			if n == 0 {
				return nil, false
			}
			i += n
			if utf16.IsSurrogate(r) {
				if len(v) > i+2 && v[i+1] == '\\' && v[i+2] == 'u' {
					if r2, n2 := hex4(v[i+3:]); n2 > 0 {
						r = utf16.DecodeRune(r, r2)
						i += 2 + n2
					}
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, false
		}
	}
	p.scratch = out
	return out[start:], true
}

// hex4 reads four hex digits; n is 4, or 0 when they are not there.
func hex4(b []byte) (r rune, n int) {
	if len(b) < 4 {
		return 0, 0
	}
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, 0
		}
	}
	return r, 4
}
