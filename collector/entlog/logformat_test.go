package entlog

import (
	"strings"
	"testing"
	"time"
)

func TestCompileLogFormatErrors(t *testing.T) {
	f := func(format, wantErr string) {
		t.Helper()
		_, err := compileLogFormat(format, nil, time.UTC)
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("compile(%q) = %v, want an error containing %q", format, err, wantErr)
		}
	}
	f(`$remote_addr$remote_user [$time_local] "$request" $status`, "$remote_addr and $remote_user are not separated")
	f(`$remote_addr [$time_local] "$request" $status $`, "not followed by a variable name")
	f(`$remote_addr [${time_local] "$request" $status`, "not followed by a variable name")
	f(`$remote_addr "$request" $status`, "needs $time_local, $time_iso8601 or $msec")
	f(`[$time_local] $status "$http_user_agent"`, "needs $request or $request_uri")
	f(`[$time_local] $request_uri $status "$http_user_agent"`, "needs $request or $request_method")
	f(`[$time_local] "$request" "$http_user_agent"`, "needs $status")
	f(`[$time_local] "$request" $status`, "needs $http_user_agent")
}

func TestLogFormat(t *testing.T) {
	f := func(cfg ParseConfig, line string, w want) {
		t.Helper()
		p := mustParser(t, cfg)
		var r Request
		if err := p.Parse([]byte(line), &r); err != nil {
			t.Fatalf("%s: Parse(%q): %v", cfg.LogFormat, line, err)
		}
		if g := got(&r); g != w {
			t.Errorf("%s: Parse(%q)\n got %+v\nwant %+v", cfg.LogFormat, line, g, w)
		}
	}
	// Custom variables by role, unknown variables skipped, ${braces}, ISO time.
	f(ParseConfig{LogFormat: `${remote_addr} $host [$time_iso8601] $request_method $request_uri $status $bytes_sent $request_time uid=$ent_uid prof=$ent_profile uai=$ent_uai "$http_user_agent"`,
		Fields: map[string]string{"profile": "ent_profile", "user": "ent_uid"}},
		`10.0.0.9 ent92.fr [2020-03-30T08:00:00+02:00] GET /homeworks/list?x=1 200 912 0.050 uid=abc prof=Teacher uai=0920001A "`+ua+`"`,
		want{"2020-03-30T06:00:00Z", "GET", "/homeworks/list", "abc", "10.0.0.9", ua, "Teacher", 200, 912, 0.05, true})
	// X-Forwarded-For wins over the proxy address, whatever their order;
	// $body_bytes_sent wins over $bytes_sent.
	xff := ParseConfig{LogFormat: `$http_x_forwarded_for|$remote_addr|$time_local|$request|$status|$body_bytes_sent|$bytes_sent|$http_user_agent`}
	f(xff, `192.0.2.7, 10.0.0.1|10.0.0.1|30/Mar/2020:08:00:00 +0200|GET / HTTP/1.1|200|10|300|a`,
		want{"2020-03-30T06:00:00Z", "GET", "/", "", "192.0.2.7", "a", "", 200, 10, 0, false})
	f(xff, `-|10.0.0.1|30/Mar/2020:08:00:00 +0200|GET / HTTP/1.1|200|-|300|a`,
		want{"2020-03-30T06:00:00Z", "GET", "/", "", "10.0.0.1", "a", "", 200, 0, 0, false})
	// Elements with a port, IPv6 in brackets, and "unknown", which leaves
	// the connection's address.
	f(xff, `192.0.2.7:5678, 10.0.0.1|10.0.0.1|30/Mar/2020:08:00:00 +0200|GET / HTTP/1.1|200|10|300|a`,
		want{"2020-03-30T06:00:00Z", "GET", "/", "", "192.0.2.7", "a", "", 200, 10, 0, false})
	f(xff, `[2001:db8::7]:443|10.0.0.1|30/Mar/2020:08:00:00 +0200|GET / HTTP/1.1|200|10|300|a`,
		want{"2020-03-30T06:00:00Z", "GET", "/", "", "2001:db8::7", "a", "", 200, 10, 0, false})
	f(xff, `unknown, 10.0.0.1|10.0.0.1|30/Mar/2020:08:00:00 +0200|GET / HTTP/1.1|200|10|300|a`,
		want{"2020-03-30T06:00:00Z", "GET", "/", "", "10.0.0.1", "a", "", 200, 10, 0, false})
	f(ParseConfig{LogFormat: `$remote_addr|$time_local|$request|$status|$bytes_sent|$http_user_agent|$http_x_forwarded_for`},
		`10.0.0.1|30/Mar/2020:08:00:00 +0200|GET / HTTP/1.1|200|300|a|192.0.2.7`,
		want{"2020-03-30T06:00:00Z", "GET", "/", "", "192.0.2.7", "a", "", 200, 300, 0, false})
	// nginx escape=json formats are log_formats too; tabs separate fields.
	f(ParseConfig{LogFormat: `{"t":"$time_iso8601","ip":"$remote_addr","req":"$request","st":$status,"ua":"$http_user_agent","p":"$ent_profile"}`,
		Fields: map[string]string{"profile": "ent_profile"}},
		`{"t":"2020-03-30T08:00:00+02:00","ip":"10.0.0.1","req":"GET /a HTTP/1.1","st":404,"ua":"x","p":"ELEVE"}`,
		want{"2020-03-30T06:00:00Z", "GET", "/a", "", "10.0.0.1", "x", "ELEVE", 404, 0, 0, false})
	f(ParseConfig{LogFormat: "$time_local\t$request\t$status\t$remote_user\t$http_user_agent"},
		"30/Mar/2020:08:00:00 +0200\tGET /a HTTP/1.1\t200\tjd\tua",
		want{"2020-03-30T06:00:00Z", "GET", "/a", "jd", "", "ua", "", 200, 0, 0, false})
	// $msec, and a JSON-shaped format.
	f(ParseConfig{LogFormat: `$msec "$request" $status "$http_user_agent"`}, `1585548000.250 "GET /a HTTP/1.1" 200 "ua"`,
		want{"2020-03-30T06:00:00.25Z", "GET", "/a", "", "", "ua", "", 200, 0, 0, false})
	// A time_local without offset, last in the line: the configured zone.
	f(ParseConfig{LogFormat: `"$request" $status "$http_user_agent" $time_local`},
		`"GET /a HTTP/1.1" 200 "ua" 30/Mar/2020:08:00:00`,
		want{"2020-03-30T06:00:00Z", "GET", "/a", "", "", "ua", "", 200, 0, 0, false})
}

// TestLogFormatInvalid: what a record glued to the next one puts in the
// fields of a log_format is rejected.
func TestLogFormatInvalid(t *testing.T) {
	cfg := ParseConfig{LogFormat: `$remote_addr - $remote_user [$time_local] "$request" $status "$http_user_agent" "$http_x_forwarded_for" host=$host uid=$ent_uid p=$ent_profile`,
		Fields: map[string]string{"profile": "ent_profile", "user": "ent_uid"}}
	p := mustParser(t, cfg)
	good := `10.0.0.1 - - [30/Mar/2020:08:00:00 +0200] "GET / HTTP/1.1" 200 "ua" "192.0.2.7, 10.0.0.1" host=ent92.fr uid=jd p=ELEVE`
	var r Request
	if err := p.Parse([]byte(good), &r); err != nil || string(r.IP) != "192.0.2.7" || string(r.User) != "jd" {
		t.Fatalf("Parse(%q) = %v, %+v", good, err, got(&r))
	}
	for _, bad := range []string{
		strings.Replace(good, "192.0.2.7, 10.0.0.1", "192.0.2.7, 10.0", 1) + good, // torn in the forwarded list
		strings.Replace(good, `"192.0.2.7, `, `"192.0.2.7,, `, 1),
		strings.Replace(good, `"192.0.2.7, `, `"192.0.2.7 - jd, `, 1),
		strings.Replace(good, "host=ent92.fr", "host=ent92"+good, 1), // a skipped value holding a quote
		strings.Replace(good, "uid=jd", "uid=jd 10.0.0.1", 1),
		strings.Replace(good, "p=ELEVE", "p=EL", 1) + good,
		strings.Replace(good, "p=ELEVE", "p=Personnel de direction", 1),
		strings.Replace(good, "p=ELEVE", "p=ELEVE10.0.0.1", 1),
	} {
		if err := p.Parse([]byte(bad), &r); err == nil {
			t.Errorf("Parse(%q) accepted: %+v", bad, got(&r))
		}
	}
	// Text after the last literal must start with a space: extra fields.
	combined := mustParser(t, ParseConfig{Format: "combined"})
	line := `10.0.0.1 - - [30/Mar/2020:08:00:00 +0200] "GET / HTTP/1.1" 200 1 "-" "ua"`
	if err := combined.Parse([]byte(line+"\t0.1"), &r); err != nil {
		t.Errorf("extra field after a tab: %v", err)
	}
	if err := combined.Parse([]byte(line+line), &r); err == nil {
		t.Errorf("two records on one line accepted: %+v", got(&r))
	}
}

func TestLogFormatDefaultFieldsENT(t *testing.T) {
	// Format ent maps $ent_profile; fields can rename it.
	p := mustParser(t, ParseConfig{Format: "ent", Fields: map[string]string{"profile": "ent_profile"}})
	var r Request
	line := `10.0.0.1 - u [30/Mar/2020:08:00:00 +0200] "GET / HTTP/1.1" 200 1 "-" "a" 0.1 "National_TUT"`
	if err := p.Parse([]byte(line), &r); err != nil || string(r.Profile) != "National_TUT" {
		t.Errorf("err %v, profile %q", err, r.Profile)
	}
}

// TestIndexByte checks the word-at-a-time search against bytes.IndexByte
// at every length and position, with decoys around the target.
func TestIndexByte(t *testing.T) {
	for n := range 40 {
		for at := -1; at < n; at++ {
			b := []byte(strings.Repeat("\x21\x80\xff\x23", 10)[:n])
			if at >= 0 {
				b[at] = '"'
				if at+1 < n {
					b[at+1] = '"'
				}
			}
			if got, want := indexByte(b, '"'), strings.IndexByte(string(b), '"'); got != want {
				t.Fatalf("indexByte(%q) = %d, want %d", b, got, want)
			}
		}
	}
}
