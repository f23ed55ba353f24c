package entlog

import (
	"net/netip"
	"strings"
	"testing"
)

func TestClientAddress(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"10.1.2.3", true}, {"255.255.255.255", true}, {"100.64.0.1", true}, {"-", true}, {"unix:", true},
		{"2001:db8::1", true}, {"::1", true}, {"::", true}, {"2a01:e0a:1a2:3b40:c5d6:e7f8:9a0b:1c2d", true},
		{"::ffff:192.0.2.1", true}, {"2001:DB8::A", true}, {"1:2:3:4:5:6:7::", true}, {"::2:3:4:5:6:7:8", true},
		{"0.1.2.3", false}, // "this network": the tail of a torn 100.64.1.2 or 10.1.2.3
		{"", false}, {"1.2.3", false}, {"1.2.3.4.5", false}, {"256.1.1.1", false}, {"01.1.1.1", false},
		{"1.2.3.4 1.2.3.4", false}, {"1.2.3.", false}, {".1.2.3", false}, {"1..2.3", false}, {"a.b.c.d", false},
		{"2001:db8:::1", false}, {"2001::db8::1", false}, {"1:2:3:4:5:6:7:8:9", false}, {"1:2:3:4:5:6:7:8::", false},
		{"12345::1", false}, {":1", false}, {"1:", false}, {"fe80::1%eth0", false}, {"::ffff:1.2.3", false},
		{"1:2:3:4:5:6:7:1.2.3.4", false}, {"--", false}, {"unix", false}, {"localhost", false},
	} {
		if got := clientAddress([]byte(c.in)); got != c.ok {
			t.Errorf("clientAddress(%q) = %v, want %v", c.in, got, c.ok)
		}
	}
}

func TestForwardedFor(t *testing.T) {
	for _, c := range []struct {
		in, first string
		ok        bool
	}{
		{"-", "", true}, {"", "", true}, {"192.0.2.7", "192.0.2.7", true}, {"192.0.2.7, 10.0.0.1", "192.0.2.7", true},
		{"192.0.2.7,10.0.0.1", "192.0.2.7", true}, {"192.0.2.7:5678", "192.0.2.7", true},
		{"[2001:db8::1]:443, 10.0.0.1", "2001:db8::1", true}, {"2001:db8::1", "2001:db8::1", true},
		{"unknown, 10.0.0.1", "", true}, {"10.0.0.1, unknown", "10.0.0.1", true},
		{"192.0.2.7,", "", false}, {",192.0.2.7", "", false}, {"192.0.2.7, , 10.0.0.1", "", false},
		{"192.0.2.7 10.0.0.1", "", false}, {"192.0.2.7:", "", false}, {"192.0.2.7:123456", "", false},
		{"[192.0.2.7]:80", "", false}, {"host.example", "", false}, {"192.0.2.7, 10.0", "", false},
	} {
		first, ok := forwardedFor([]byte(c.in))
		if ok != c.ok || string(first) != c.first {
			t.Errorf("forwardedFor(%q) = %q, %v; want %q, %v", c.in, first, ok, c.first, c.ok)
		}
	}
}

// FuzzAddress checks the in-place address checks against netip.ParseAddr
// (zones aside: nginx never logs them).
func FuzzAddress(f *testing.F) {
	for _, s := range []string{"10.1.2.3", "2001:db8::1", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8", "::", "01.2.3.4", "1::2::3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "%") {
			return
		}
		a, err := netip.ParseAddr(s)
		want4, want6 := err == nil && a.Is4(), err == nil && a.Is6()
		if got := isIPv4([]byte(s)); got != want4 {
			t.Errorf("isIPv4(%q) = %v, netip says %v", s, got, want4)
		}
		if got := isIPv6([]byte(s)); got != want6 {
			t.Errorf("isIPv6(%q) = %v, netip says %v", s, got, want6)
		}
	})
}
