package entlog

import (
	"bytes"
	"time"
)

// timeParser reads the timestamp shapes of access logs without
// allocating: nginx/Apache $time_local (`30/Mar/2020:08:00:00 +0200`), ISO
// 8601 / $time_iso8601 (`2020-03-30T08:00:00+02:00`, optional fraction, `Z`,
// `+0200`, or no offset) and epoch counts ($msec). Instants are returned in UTC; a timestamp without
// offset is read in loc (the configured zone), never in the host's.
//
// Consecutive lines mostly share their second, so the last text and result
// are remembered and a repeat costs one comparison. Not safe for concurrent
// use: each parser owns one.
type timeParser struct {
	loc      *time.Location
	last     [40]byte
	lastLen  int
	lastT    time.Time
	lastKind byte // 'l' (time_local) or 'i' (ISO): the shape the cached text was read as
}

// The years a log line may carry. A date outside them is a clock or a
// corrupted line, never an event to count; the bounds also keep every
// instant within int64 nanoseconds (1678–2262), which points are written in.
const (
	minYear = 2000
	maxYear = 2100
)

// saneTime reports whether t's year, as written (in t's own zone), is
// within minYear..maxYear, as assemble checks it.
func saneTime(t time.Time) bool {
	y := t.Year()
	return y >= minYear && y <= maxYear
}

func newTimeParser(loc *time.Location) *timeParser {
	if loc == nil {
		loc = time.UTC
	}
	return &timeParser{loc: loc}
}

// cached returns the result for b when b repeats the previous timestamp
// read as the same shape.
func (p *timeParser) cached(kind byte, b []byte) (time.Time, bool) {
	if kind == p.lastKind && len(b) == p.lastLen && string(b) == string(p.last[:p.lastLen]) {
		return p.lastT, true
	}
	return time.Time{}, false
}

func (p *timeParser) remember(kind byte, b []byte, t time.Time) {
	if len(b) <= len(p.last) {
		p.lastLen = copy(p.last[:], b)
		p.lastT, p.lastKind = t, kind
	}
}

// local parses $time_local: dd/Mon/yyyy:hh:mm:ss followed by an optional
// space and ±hhmm offset.
func (p *timeParser) local(b []byte) (time.Time, bool) {
	if t, ok := p.cached('l', b); ok {
		return t, true
	}
	if len(b) < 20 || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' || b[17] != ':' {
		return time.Time{}, false
	}
	day, ok1 := digits(b[0:2])
	mon := monthOf(b[3:6])
	year, ok2 := digits(b[7:11])
	hour, ok3 := digits(b[12:14])
	min, ok4 := digits(b[15:17])
	sec, ok5 := digits(b[18:20])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || mon == 0 {
		return time.Time{}, false
	}
	rest := b[20:]
	if len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	t, ok := p.assemble(year, mon, day, hour, min, sec, 0, rest)
	if ok {
		p.remember('l', b, t)
	}
	return t, ok
}

// iso parses yyyy-mm-ddThh:mm:ss[.fraction][Z|±hh:mm|±hhmm]; a space may
// replace the T.
func (p *timeParser) iso(b []byte) (time.Time, bool) {
	if t, ok := p.cached('i', b); ok {
		return t, true
	}
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(b[0:4])
	mon, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	min, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 {
		return time.Time{}, false
	}
	rest := b[19:]
	nsec := 0
	if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
		i, scale := 1, 100_000_000
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			nsec += int(rest[i]-'0') * scale
			scale /= 10
		}
		if i == 1 {
			return time.Time{}, false
		}
		rest = rest[i:]
	}
	t, ok := p.assemble(year, time.Month(mon), day, hour, min, sec, nsec, rest)
	if ok {
		p.remember('i', b, t)
	}
	return t, ok
}

// unix parses an epoch count of unit (seconds for nginx's $msec and json
// unix, milliseconds for unix_ms) with an optional decimal fraction. The
// whole seconds are checked against the year bounds before any product
// that could overflow.
func (p *timeParser) unix(b []byte, unit time.Duration) (time.Time, bool) {
	whole, frac, dot := bytes.Cut(b, []byte("."))
	n, ok := digits(whole)
	if !ok || len(whole) > 15 || dot && len(frac) == 0 {
		return time.Time{}, false
	}
	perSecond := int64(time.Second / unit)
	sec := int64(n) / perSecond
	if sec < minUnix || sec >= maxUnix {
		return time.Time{}, false
	}
	sub := time.Duration(int64(n)%perSecond) * unit // the fraction of a second, in nanoseconds
	for i, scale := 0, unit/10; i < len(frac); i, scale = i+1, scale/10 {
		if frac[i] < '0' || frac[i] > '9' {
			return time.Time{}, false
		}
		sub += time.Duration(frac[i]-'0') * scale
	}
	return time.Unix(sec, int64(sub)).UTC(), true
}

// minUnix and maxUnix are the Unix seconds of 2000-01-01 and 2101-01-01
// UTC, the year bounds of epoch timestamps.
const (
	minUnix = 946684800
	maxUnix = 4133980800
)

// assemble checks the calendar fields (years minYear..maxYear) and applies
// the zone: tz is "" (the configured zone), "Z", or ±hhmm / ±hh:mm.
func (p *timeParser) assemble(year int, mon time.Month, day, hour, min, sec, nsec int, tz []byte) (time.Time, bool) {
	if year < minYear || year > maxYear || mon < 1 || mon > 12 || day < 1 || day > daysIn(mon, year) ||
		hour > 23 || min > 59 || sec > 60 {
		return time.Time{}, false
	}
	switch {
	case len(tz) == 0:
		return time.Date(year, mon, day, hour, min, sec, nsec, p.loc).UTC(), true
	case len(tz) == 1 && (tz[0] == 'Z' || tz[0] == 'z'):
		return time.Date(year, mon, day, hour, min, sec, nsec, time.UTC), true
	case tz[0] != '+' && tz[0] != '-':
		return time.Time{}, false
	}
	var oh, om int
	var ok1, ok2 bool
	switch {
	case len(tz) == 5:
		oh, ok1 = digits(tz[1:3])
		om, ok2 = digits(tz[3:5])
	case len(tz) == 6 && tz[3] == ':':
		oh, ok1 = digits(tz[1:3])
		om, ok2 = digits(tz[4:6])
	}
	if !ok1 || !ok2 || oh > 14 || om > 59 {
		return time.Time{}, false
	}
	off := time.Duration(oh)*time.Hour + time.Duration(om)*time.Minute
	if tz[0] == '-' {
		off = -off
	}
	return time.Date(year, mon, day, hour, min, sec, nsec, time.UTC).Add(-off), true
}

// digits parses a short run of ASCII digits (no sign).
func digits(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// monthOf maps an English three-letter month (any case) to its number, or 0.
func monthOf(b []byte) time.Month {
	if len(b) != 3 {
		return 0
	}
	// Pack the lowercased letters into one integer and switch on it.
	k := uint32(b[0]|0x20)<<16 | uint32(b[1]|0x20)<<8 | uint32(b[2]|0x20)
	switch k {
	case 'j'<<16 | 'a'<<8 | 'n':
		return time.January
	case 'f'<<16 | 'e'<<8 | 'b':
		return time.February
	case 'm'<<16 | 'a'<<8 | 'r':
		return time.March
	case 'a'<<16 | 'p'<<8 | 'r':
		return time.April
	case 'm'<<16 | 'a'<<8 | 'y':
		return time.May
	case 'j'<<16 | 'u'<<8 | 'n':
		return time.June
	case 'j'<<16 | 'u'<<8 | 'l':
		return time.July
	case 'a'<<16 | 'u'<<8 | 'g':
		return time.August
	case 's'<<16 | 'e'<<8 | 'p':
		return time.September
	case 'o'<<16 | 'c'<<8 | 't':
		return time.October
	case 'n'<<16 | 'o'<<8 | 'v':
		return time.November
	case 'd'<<16 | 'e'<<8 | 'c':
		return time.December
	}
	return 0
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
