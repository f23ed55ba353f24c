package entlog

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// Fuzz targets for every parser. `go test` runs them on the seeds below;
// `go test -fuzz FuzzParseENT -fuzztime 1m ./collector/entlog/` explores.

func fuzzSeeds(f *testing.F) {
	for _, l := range entLines(16) {
		f.Add(string(l))
	}
	for _, s := range []string{"", "-", "\x00", "\xff\xfe", strings.Repeat("[", 1000), `"" "" ""`,
		`1.2.3.4 - - [30/Feb/2020:08:00:00 +0200] "GET / HTTP/1.1" 200 1 "-" "a" 1 "x"`,
		`1.2.3.4 - - [30/Mar/2020:08:00:00 +0200] "GET / HTTP/1.1" 200 1 "-" "a\" 1 "x"`,
		`{"time":"2020-03-30T08:00:00Z","method":"GET","path":"/","status":200,"user":"\ud800"}`,
		`{"a":{"b":[{"c":"\""}]},"time":1585548000}`} {
		f.Add(s)
	}
}

// tornSeeds adds to a fuzz corpus the glued lines of torn records (see
// torn_test.go) of format name: three records of the simulator's sample,
// each cut after every byte with the next one glued on.
func tornSeeds(f *testing.F, name string, add func(line string)) {
	records := simRecords(f)
	for _, tf := range tornFormats() {
		if tf.name != name {
			continue
		}
		for i := range 3 {
			a, b := tf.write(i, records[i]), tf.write(i+1, records[i+1])
			for k := 1; k <= len(a); k++ {
				add(a[:k] + b)
			}
		}
		return
	}
	f.Fatalf("no torn format %q", name)
}

// checkParse asserts the Parser contract on one line.
func checkParse(t *testing.T, p Parser, line []byte, aliasOnly bool) {
	var r, again Request
	err := p.Parse(line, &r)
	err2 := p.Parse(line, &again)
	if (err == nil) != (err2 == nil) || err == nil && got(&r) != got(&again) {
		t.Fatalf("two parses differ: %v %+v / %v %+v", err, got(&r), err2, got(&again))
	}
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) || !slices.Contains(ParseReasons(), pe.Reason) {
			t.Fatalf("error %v is not a ParseError with a known reason", err)
		}
		return
	}
	if r.Time.IsZero() || r.Status < 100 || r.Status > 599 || len(r.Method) == 0 ||
		len(r.Path) == 0 || r.Path[0] != '/' && r.Path[0] != '*' || r.Bytes < 0 || r.Duration < 0 {
		t.Fatalf("accepted an incomplete request: %+v", got(&r))
	}
	if len(r.IP) > 0 && !clientAddress(r.IP) && !isIPv4(r.IP) {
		t.Fatalf("accepted the address %q", r.IP)
	}
	if !aliasOnly {
		return
	}
	if !validUser(r.User) || !validProfile(r.Profile) {
		t.Fatalf("accepted the user %q or profile %q", r.User, r.Profile)
	}
	for _, b := range [][]byte{r.Method, r.Path, r.User, r.IP, r.UserAgent, r.Profile} {
		if !within(line, b) {
			t.Fatalf("field %q does not alias the line", b)
		}
	}
}

// within reports whether b is empty or a subslice of line.
func within(line, b []byte) bool {
	if len(b) == 0 {
		return true
	}
	off := cap(line) - cap(b)
	return off >= 0 && off+len(b) <= len(line) && &line[off] == &b[0]
}

func fuzzFormat(f *testing.F, cfg ParseConfig, torn string) {
	fuzzSeeds(f)
	tornSeeds(f, torn, func(line string) { f.Add(line) })
	p := mustParser(f, cfg)
	f.Fuzz(func(t *testing.T, line string) {
		checkParse(t, p, []byte(line), cfg.Format != "json")
	})
}

func FuzzParseENT(f *testing.F)      { fuzzFormat(f, ParseConfig{Format: "ent"}, "ent") }
func FuzzParseCombined(f *testing.F) { fuzzFormat(f, ParseConfig{Format: "combined"}, "combined") }
func FuzzParseJSON(f *testing.F) {
	fuzzFormat(f, ParseConfig{Format: "json", JSON: JSONConfig{TimeLayouts: []string{"iso8601", "unix_ms", "common"}}}, "json")
}

// FuzzParseLogFormat fuzzes the compiler and the compiled parser together.
func FuzzParseLogFormat(f *testing.F) {
	f.Add(ENTFormat, string(entLines(1)[0]))
	f.Add(`$time_iso8601|$request|$status|$x|$http_user_agent`, `2020-03-30T08:00:00Z|GET / HTTP/1.1|200|y|ua`)
	f.Add(`{"t":"$time_local","r":"$request","s":$status,"u":"$http_user_agent"}`, `{"t":"30/Mar/2020:08:00:00 +0200","r":"GET /a b","s":200,"u":"x"}`)
	f.Add(`$$time_local $request_method ${request_uri} $status $http_user_agent`, `$30/Mar/2020:08:00:00 +0200 GET /x 200 ua`)
	tornSeeds(f, "log_format", func(line string) { f.Add(tornLogFormat, line) })
	f.Fuzz(func(t *testing.T, format, line string) {
		p, err := compileLogFormat(format, map[string]role{"ent_profile": roleProfile}, time.UTC)
		if err != nil {
			return
		}
		checkParse(t, p, []byte(line), true)
	})
}

// FuzzTime checks the two timestamp shapes against each other's rules: an
// accepted text gives a time whose calendar fields survive a round trip.
func FuzzTime(f *testing.F) {
	f.Add("30/Mar/2020:08:00:00 +0200")
	f.Add("2020-03-30T08:00:00.123+02:00")
	f.Add("2020-02-29 23:59:59")
	f.Add("01/Jan/1600:00:00:00 +0000")
	f.Add("99999999999")
	loc := time.FixedZone("test", 3600)
	f.Fuzz(func(t *testing.T, s string) {
		p := newTimeParser(loc)
		if tm, ok := p.local([]byte(s)); ok && (tm.Location() != time.UTC || tm.Year() < minYear-1 || tm.Year() > maxYear+1) {
			t.Fatalf("local(%q) = %v", s, tm)
		}
		for _, unit := range []time.Duration{time.Second, time.Millisecond} {
			if tm, ok := p.unix([]byte(s), unit); ok && (tm.Year() < minYear || tm.Year() > maxYear) {
				t.Fatalf("unix(%q, %v) = %v", s, unit, tm)
			}
		}
		if tm, ok := p.iso([]byte(s)); ok {
			if want, err := time.Parse(time.RFC3339Nano, s); err == nil && !want.Equal(tm) {
				t.Fatalf("iso(%q) = %v, time.Parse says %v", s, tm, want)
			}
		}
	})
}

// FuzzClassify checks the class vocabulary and the verdict cache.
func FuzzClassify(f *testing.F) {
	f.Add("/static/a.js", "Mozilla/5.0")
	f.Add("/api/x", "curl/7")
	f.Add("/a.PDF", "")
	cfg := ParseConfig{HealthPaths: []string{"/health"}}
	cfg.ApplyDefaults()
	c, _ := NewClassifier(cfg)
	fresh := func() *Classifier { c, _ := NewClassifier(cfg); return c }
	f.Fuzz(func(t *testing.T, path, agent string) {
		r := Request{Path: []byte(path), UserAgent: []byte(agent)}
		class := c.Class(&r)
		if collector.ClassIndex(class) < 0 {
			t.Fatalf("class %q", class)
		}
		if fresh().Class(&r) != class {
			t.Fatalf("cached verdict differs for %q", agent)
		}
		lower := strings.ToLower(agent)
		wantBot := agent == "" || agent == "-" || slices.ContainsFunc(DefaultBotMarkers(), func(m string) bool { return strings.Contains(lower, m) })
		if c.IsBot(r.UserAgent) != wantBot {
			t.Fatalf("IsBot(%q) = %v, want %v", agent, !wantBot, wantBot)
		}
	})
}
