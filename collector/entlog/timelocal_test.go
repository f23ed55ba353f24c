package entlog

import (
	"testing"
	"time"
)

func TestTimeLocal(t *testing.T) {
	p := newTimeParser(parisZone(t))
	f := func(in, want string) {
		t.Helper()
		got, ok := p.local([]byte(in))
		switch {
		case want == "" && ok:
			t.Errorf("local(%q) = %v, want an error", in, got)
		case want != "" && (!ok || got.Format(time.RFC3339) != want):
			t.Errorf("local(%q) = %v, %v, want %s", in, got, ok, want)
		}
	}
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
}

func TestTimeISO(t *testing.T) {
	p := newTimeParser(parisZone(t))
	f := func(in, want string) {
		t.Helper()
		got, ok := p.iso([]byte(in))
		switch {
		case want == "" && ok:
			t.Errorf("iso(%q) = %v, want an error", in, got)
		case want != "" && (!ok || got.Format(time.RFC3339Nano) != want):
			t.Errorf("iso(%q) = %v, %v, want %s", in, got, ok, want)
		}
	}
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
