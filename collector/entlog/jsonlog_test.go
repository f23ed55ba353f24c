package entlog

import (
	"errors"
	"strings"
	"testing"
)

func TestParseJSON(t *testing.T) {
	f := func(cfg ParseConfig, line string, w want) {
		t.Helper()
		cfg.Format = "json"
		p := mustParser(t, cfg)
		var r Request
		if err := p.Parse([]byte(line), &r); err != nil {
			t.Fatalf("Parse(%q): %v", line, err)
		}
		if g := got(&r); g != w {
			t.Errorf("Parse(%q)\n got %+v\nwant %+v", line, g, w)
		}
	}
	// Default keys (the role names), escapes, unknown keys and values of
	// every JSON kind skipped.
	f(ParseConfig{},
		`{"time":"2020-03-30T08:00:00+02:00","method":"GET","path":"/conversation\/inbox?x","status":200,"bytes":512,"duration":0.25,`+
			`"user":"\u00e9l\u00e8ve \ud83d\ude00","profile":"ELEVE","ip":"10.0.0.1","user_agent":"a \"b\" \\ c","extra":[1,{"a":[]},"]"],"n":null,"ok":true,"f":-1.5e3}`,
		want{"2020-03-30T06:00:00Z", "GET", "/conversation/inbox", "élève 😀", "10.0.0.1", `a "b" \ c`, "ELEVE", 200, 512, 0.25, true})
	// Mapped and nested keys, status as a string, unix milliseconds,
	// duration in ms, whitespace, a null user (anonymous).
	f(ParseConfig{Fields: map[string]string{"time": "ts", "path": "http.url", "method": "http.method", "status": "http.status",
		"user": "ctx.uid", "profile": "ctx.profile", "duration": "rt"},
		JSON: JSONConfig{TimeLayouts: []string{"iso8601", "unix_ms"}, DurationUnit: "ms"}},
		` { "ts" : 1585548000250 , "http" : { "url" : "/blog", "method" : "POST", "status" : "201" }, "ctx":{"uid":null,"profile":"Guest"}, "rt": 12 } `,
		want{"2020-03-30T06:00:00.25Z", "POST", "/blog", "", "", "", "Guest", 201, 0, 0.012, true})
	// An explicit mapping wins over another role's default key.
	f(ParseConfig{Fields: map[string]string{"user": "ip", "ip": "addr"}},
		`{"time":"2020-03-30T08:00:00Z","method":"GET","path":"/","status":200,"ip":"jd","addr":"10.0.0.2"}`,
		want{"2020-03-30T08:00:00Z", "GET", "/", "jd", "10.0.0.2", "", "", 200, 0, 0, false})
	// The client address with a port, or first of a forwarded chain.
	f(ParseConfig{}, `{"time":"2020-03-30T08:00:00Z","method":"GET","path":"/","status":200,"ip":"192.0.2.7:5678"}`,
		want{"2020-03-30T08:00:00Z", "GET", "/", "", "192.0.2.7", "", "", 200, 0, 0, false})
	f(ParseConfig{}, `{"time":"2020-03-30T08:00:00Z","method":"GET","path":"/","status":200,"ip":"2001:db8::7, 10.0.0.1"}`,
		want{"2020-03-30T08:00:00Z", "GET", "/", "", "2001:db8::7", "", "", 200, 0, 0, false})
	// Unix seconds with a fraction; nginx time_local.
	f(ParseConfig{JSON: JSONConfig{TimeLayouts: []string{"unix"}}},
		`{"time":1585548000.5,"method":"GET","path":"/","status":200}`,
		want{"2020-03-30T06:00:00.5Z", "GET", "/", "", "", "", "", 200, 0, 0, false})
	f(ParseConfig{JSON: JSONConfig{TimeLayouts: []string{"common"}}},
		`{"time":"30/Mar/2020:08:00:00 +0200","method":"GET","path":"/","status":200}`,
		want{"2020-03-30T06:00:00Z", "GET", "/", "", "", "", "", 200, 0, 0, false})
	// A Go layout, without zone: the configured zone (Paris).
	f(ParseConfig{JSON: JSONConfig{TimeLayouts: []string{"02/01/2006 15h04"}}},
		`{"time":"30/03/2020 08h00","method":"GET","path":"/","status":200}`,
		want{"2020-03-30T06:00:00Z", "GET", "/", "", "", "", "", 200, 0, 0, false})
}

// TestParseJSONTimeBounds: epoch counts and Go layouts outside the years
// 2000 to 2100, or too large for nanoseconds, are bad times, not events
// in 2184 or in year 0.
func TestParseJSONTimeBounds(t *testing.T) {
	line := func(ts string) []byte { return []byte(`{"time":` + ts + `,"method":"GET","path":"/","status":200}`) }
	for _, c := range []struct {
		layout string
		ok     []string
		bad    []string
	}{
		{"unix", []string{"946684800", "4133980799.5"}, []string{"946684799", "4133980800", "999999999999999", "-1"}},
		{"unix_ms", []string{"1585548000000"}, []string{"946684799999", "999999999999999"}},
		{"2006-01-02 15:04", []string{`"2020-03-30 08:00"`}, []string{`"1600-01-01 00:00"`, `"2101-01-01 00:00"`}},
		{"15:04", nil, []string{`"08:00"`}},
	} {
		p := mustParser(t, ParseConfig{Format: "json", JSON: JSONConfig{TimeLayouts: []string{c.layout}}})
		var r Request
		for _, ts := range c.ok {
			if err := p.Parse(line(ts), &r); err != nil {
				t.Errorf("%s %s: %v", c.layout, ts, err)
			}
		}
		for _, ts := range c.bad {
			var pe *ParseError
			if err := p.Parse(line(ts), &r); !errors.As(err, &pe) || pe.Reason != ReasonBadTime {
				t.Errorf("%s %s: %v (%v), want bad_time", c.layout, ts, err, r.Time)
			}
		}
	}
}

func TestParseJSONInvalid(t *testing.T) {
	p := mustParser(t, ParseConfig{Format: "json"})
	f := func(reason, line string) {
		t.Helper()
		var r Request
		err := p.Parse([]byte(line), &r)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Reason != reason {
			t.Errorf("Parse(%.80q) = %v, want reason %s", line, err, reason)
		}
	}
	ok := `{"time":"2020-03-30T08:00:00Z","method":"GET","path":"/","status":200}`
	f(ReasonMalformed, "")
	f(ReasonMalformed, "not json")
	f(ReasonMalformed, `["time"]`)
	f(ReasonMalformed, ok[:30])
	f(ReasonMalformed, ok+"x")
	f(ReasonMalformed, ok+ok)
	f(ReasonMalformed, strings.Replace(ok, `:200`, `:200,`, 1))
	f(ReasonMalformed, strings.Replace(ok, `:200`, `:[1,2}`, 1))
	f(ReasonMalformed, strings.Replace(ok, `:200`, `:nul`, 1))
	f(ReasonMalformed, strings.Replace(ok, `"/"`, `"\x"`, 1))
	f(ReasonMalformed, strings.Replace(ok, `"/"`, `"\u12"`, 1))
	f(ReasonMalformed, `{"a":`+strings.Repeat(`{"a":`, 100)+`1`+strings.Repeat(`}`, 101))
	f(ReasonMalformed, `{"a":`+strings.Repeat(`[`, 1<<15))
	f(ReasonBinary, "{\"time\":\"\x00\"}")
	f(ReasonBadUTF8, strings.Replace(ok, `"/"`, "\"/\xff\"", 1))
	f(ReasonTooLong, `{"a":"`+strings.Repeat("a", 1<<20)+`"}`)
	f(ReasonBadTime, strings.Replace(ok, `"2020-03-30T08:00:00Z"`, `"2020-02-30T08:00:00Z"`, 1))
	f(ReasonBadTime, strings.Replace(ok, `"2020-03-30T08:00:00Z"`, `1585548000`, 1))
	f(ReasonBadTime, `{"method":"GET","path":"/","status":200}`)
	f(ReasonBadTime, strings.Replace(ok, `"2020-03-30T08:00:00Z"`, `"1600-01-01T00:00:00Z"`, 1))
	f(ReasonMalformed, strings.Replace(ok, `"GET"`, `"GET","ip":"10.0.0.1 10.0.0.1"`, 1))
	f(ReasonBadStatus, `{"time":"2020-03-30T08:00:00Z","method":"GET","path":"/"}`)
	f(ReasonBadStatus, strings.Replace(ok, `:200`, `:200.0`, 1))
	f(ReasonBadRequest, strings.Replace(ok, `"/"`, `"relative"`, 1))
	f(ReasonBadRequest, `{"time":"2020-03-30T08:00:00Z","path":"/","status":200}`)
	f(ReasonBadRequest, strings.Replace(ok, `"GET"`, `"get"`, 1))
	f(ReasonBadRequest, strings.Replace(ok, `"GET"`, `"-"`, 1))
	f(ReasonBadNumber, strings.Replace(ok, `:200`, `:200,"bytes":-5`, 1))
}
