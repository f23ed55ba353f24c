package enseigno

// This file reads the French conventions of spreadsheet exports: text
// encoding, separator, decimal comma, hh:mm durations and dd/mm/yyyy dates.

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// toUTF8 strips a UTF-8 byte-order mark and decodes Windows-1252 when
// configured, or in auto mode when the bytes are not valid UTF-8.
func toUTF8(data []byte, encoding string) ([]byte, error) {
	if b, ok := bytes.CutPrefix(data, utf8BOM); ok {
		return b, nil
	}
	switch {
	case encoding == "windows-1252", encoding == "auto" && !utf8.Valid(data):
		out, err := charmap.Windows1252.NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("decode windows-1252: %w", err)
		}
		return out, nil
	case !utf8.Valid(data):
		return nil, errors.New("not valid UTF-8 (set encoding: windows-1252?)")
	}
	return data, nil
}

// detectSeparator picks the separator the header line uses most among
// `;`, `,` and tab; `;` wins ties because French exports prefer it.
func detectSeparator(data []byte) rune {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	best, n := ';', bytes.Count(line, []byte(";"))
	for _, r := range []rune{',', '\t'} {
		if c := bytes.Count(line, []byte(string(r))); c > n {
			best, n = r, c
		}
	}
	return best
}

func separatorRune(s string) rune {
	if s == "tab" {
		return '\t'
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// numberParser turns cells into numbers under a decimal mode.
type numberParser struct{ decimal string }

// clean removes spaces (including the no-break and narrow no-break spaces
// French spreadsheets use as thousands separators).
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u00a0' || r == '\u202f' {
			return -1
		}
		return r
	}, s)
}

// float parses a non-negative decimal number.
func (np numberParser) float(s string) (float64, error) {
	c := clean(s)
	switch np.decimal {
	case "comma":
		if strings.Contains(c, ".") {
			return 0, fmt.Errorf("%q: decimal point where a decimal comma is configured", s)
		}
		c = strings.Replace(c, ",", ".", 1)
	case "auto":
		c = strings.Replace(c, ",", ".", 1)
	default:
		if strings.Contains(c, ",") {
			return 0, fmt.Errorf("%q: decimal comma where a decimal point is configured", s)
		}
	}
	v, err := strconv.ParseFloat(c, 64)
	if err != nil || v < 0 || c == "" || strings.ContainsAny(c, "eEnNiIxX_+") {
		return 0, fmt.Errorf("%q is not a non-negative number", s)
	}
	return v, nil
}

// integer parses a non-negative count. "12,0" is accepted (spreadsheets
// sometimes format counts as decimals), "12,5" is not.
func (np numberParser) integer(s string) (float64, error) {
	v, err := np.float(s)
	if err != nil {
		return 0, err
	}
	if v != float64(int64(v)) {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return v, nil
}

// hours parses a duration as decimal hours ("12,5") or hh:mm ("12:30",
// "12h30"), hours possibly above 24.
func (np numberParser) hours(s string) (float64, error) {
	c := clean(s)
	h, m, ok := strings.Cut(c, ":")
	if !ok {
		h, m, ok = strings.Cut(c, "h")
	}
	if !ok {
		return np.float(s)
	}
	hh, err1 := strconv.ParseUint(h, 10, 32)
	mm, err2 := strconv.ParseUint(m, 10, 8)
	if err1 != nil || err2 != nil || mm > 59 || len(m) != 2 {
		return 0, fmt.Errorf("%q is not a duration in hh:mm", s)
	}
	return float64(hh) + float64(mm)/60, nil
}

// goLayout converts a dd/mm/yyyy style layout into a time layout that also
// accepts days and months without a leading zero.
func goLayout(layout string) (string, error) {
	if !strings.Contains(layout, "dd") || !strings.Contains(layout, "mm") || !strings.Contains(layout, "yyyy") {
		return "", fmt.Errorf("%q must contain dd, mm and yyyy", layout)
	}
	return strings.NewReplacer("yyyy", "2006", "dd", "2", "mm", "1").Replace(layout), nil
}

// parseDay reads a calendar date in layout or ISO form, ignoring any time
// part, and returns it as midnight UTC (a civil date, not an instant).
func parseDay(s, layout string) (time.Time, error) {
	s = strings.TrimSpace(s)
	first, _, _ := strings.Cut(s, " ")
	if d, err := time.Parse(layout, first); err == nil {
		return d, nil
	}
	if len(s) >= 10 {
		if d, err := time.Parse("2006-01-02", s[:10]); err == nil && (len(s) == 10 || s[10] == 'T' || s[10] == ' ') {
			return d, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}

// fold makes names comparable: lowercase, without accents, words joined by
// single dashes ("Histoire-Géographie " → "histoire-geographie").
func fold(s string) string {
	out := strings.ToLower(s)
	if !isASCII(out) {
		t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
		if noMarks, _, err := transform.String(t, out); err == nil {
			out = noMarks
		}
	}
	var b strings.Builder
	dash := false
	for _, r := range out {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
