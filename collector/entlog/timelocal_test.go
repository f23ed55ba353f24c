package entlog

import (
	"testing"
	"time"
)

// timeCase returns a one-line checker of parse: want is the RFC 3339 UTC
// result, or "" when the text must be rejected.
func timeCase(t *testing.T, parse func([]byte) (time.Time, bool)) func(in, want string) {
	return func(in, want string) {
		t.Helper()
		got, ok := parse([]byte(in))
		switch {
		case want == "" && ok:
			t.Errorf("parse(%q) = %v, want an error", in, got)
		case want != "" && (!ok || got.Format(time.RFC3339Nano) != want):
			t.Errorf("parse(%q) = %v, %v, want %s", in, got, ok, want)
		}
	}
}

func TestTimeLocal(t *testing.T) {
	f := timeCase(t, newTimeParser(parisZone(t)).local)
	f("30/Mar/2020:08:00:00 +0200", "2020-03-30T06:00:00Z")
	f("30/Mar/2020:08:00:00 +0200", "2020-03-30T06:00:00Z") // cached
	f("30/mar/2020:08:00:00 -0130", "2020-03-30T09:30:00Z")
	f("29/Feb/2020:00:00:00 +0000", "2020-02-29T00:00:00Z")
	f("31/Dec/2019:23:59:60 +0100", "2019-12-31T23:00:00Z") // leap second rolls over
	// Without offset: the configured zone (Paris), across the DST changes.
	f("29/Mar/2020:01:59:59", "2020-03-29T00:59:59Z")
	f("29/Mar/2020:03:00:00", "2020-03-29T01:00:00Z")
	f("25/Oct/2020:12:00:00", "2020-10-25T11:00:00Z")
	f("30/Mar/2020:08:00:00 +0200x", "")
	f("29/Feb/2019:00:00:00 +0000", "")
	f("31/Apr/2020:00:00:00 +0000", "")
	f("00/Mar/2020:00:00:00 +0000", "")
	f("30/Mar/2020:24:00:00 +0000", "")
	f("30/Mar/2020:08:60:00 +0000", "")
	f("30/Mar/2020:08:00:00 +1500", "")
	f("30/Mar/2020 08:00:00 +0200", "")
	f("3O/Mar/2020:08:00:00 +0200", "")
	f("30/Mar/2020:08:00", "")
	f("", "")
	f("01/Jan/1600:00:00:00 +0000", "")
	f("31/Dec/1999:23:59:59 +0000", "")
	f("01/Jan/2000:00:00:00 +0100", "1999-12-31T23:00:00Z") // the year as written
	f("31/Dec/2100:23:59:59 +0000", "2100-12-31T23:59:59Z")
	f("01/Jan/2101:00:00:00 +0000", "")
	f("01/Jan/9999:00:00:00 +0000", "")
}

func TestTimeISO(t *testing.T) {
	f := timeCase(t, newTimeParser(parisZone(t)).iso)
	f("2020-03-30T08:00:00+02:00", "2020-03-30T06:00:00Z")
	f("2020-03-30T08:00:00+0200", "2020-03-30T06:00:00Z")
	f("2020-03-30T06:00:00Z", "2020-03-30T06:00:00Z")
	f("2020-03-30 08:00:00.123456+02:00", "2020-03-30T06:00:00.123456Z")
	f("2020-03-30T08:00:00,5Z", "2020-03-30T08:00:00.5Z")
	f("2020-10-25T03:30:00", "2020-10-25T02:30:00Z") // after the fall-back hour: CET
	f("2020-03-30T08:00:00", "2020-03-30T06:00:00Z")
	f("2020-01-30T08:00:00", "2020-01-30T07:00:00Z")
	f("2020-03-30T08:00:00.Z", "")
	f("2020-13-30T08:00:00Z", "")
	f("2020-03-30T08:00:00+2", "")
	f("2020-03-30T08:00:00 +02:00", "")
	f("2020/03/30T08:00:00Z", "")
	f("30/Mar/2020:08:00:00 +0200", "")
	f("1600-01-01T00:00:00Z", "")
	f("2101-01-01T00:00:00Z", "")
	f("0000-01-01T00:00:00Z", "")
}

// TestTimeCache checks that the one-entry cache never serves a stale
// result to a different timestamp.
func TestTimeCache(t *testing.T) {
	p := newTimeParser(time.UTC)
	a, _ := p.local([]byte("30/Mar/2020:08:00:00 +0200"))
	b, _ := p.local([]byte("30/Mar/2020:08:00:01 +0200"))
	c, ok := p.local([]byte("30/Mar/2020:08:00:01 +0100"))
	if b.Sub(a) != time.Second || !ok || c.Sub(b) != time.Hour {
		t.Errorf("got %v %v %v", a, b, c)
	}
	if _, ok := p.iso([]byte("30/Mar/2020:08:00:01 +0100")); ok {
		t.Error("iso accepted a cached time_local text")
	}
}

func TestTimeUnix(t *testing.T) {
	p := newTimeParser(time.UTC)
	sec := timeCase(t, func(b []byte) (time.Time, bool) { return p.unix(b, time.Second) })
	ms := timeCase(t, func(b []byte) (time.Time, bool) { return p.unix(b, time.Millisecond) })
	sec("1585548000", "2020-03-30T06:00:00Z")
	sec("1585548000.123456789", "2020-03-30T06:00:00.123456789Z")
	ms("1585548000250", "2020-03-30T06:00:00.25Z")
	ms("1585548000250.5", "2020-03-30T06:00:00.2505Z")
	sec("1585548000.", "")
	sec("-1", "")
	sec("1e9", "")
	sec("1585548000.1x", "")
	sec("9999999999999999", "")
	sec("", "")
	// Years 2000 to 2100 only; no nanosecond overflow (issue 19).
	sec("946684800", "2000-01-01T00:00:00Z")
	sec("946684799.999", "")
	sec("4133980799", "2100-12-31T23:59:59Z")
	sec("4133980800", "")
	sec("999999999999999", "")
	ms("999999999999999", "")
	ms("946684799999", "")
}
