package entlog

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func mustParser(t testing.TB, cfg ParseConfig) Parser {
	t.Helper()
	cfg.ApplyDefaults()
	p, err := NewParser(cfg, parisZone(t))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// want is the readable form of a Request for comparisons.
type want struct {
	Time                                   string // RFC 3339 in UTC
	Method, Path, User, IP, Agent, Profile string
	Status                                 int
	Bytes                                  int64
	Duration                               float64
	HasDuration                            bool
}

func got(r *Request) want {
	return want{r.Time.UTC().Format(time.RFC3339Nano), string(r.Method), string(r.Path), string(r.User),
		string(r.IP), string(r.UserAgent), string(r.Profile), r.Status, r.Bytes, r.Duration, r.HasDuration}
}

const ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/80.0"

func TestParseENT(t *testing.T) {
	p := mustParser(t, ParseConfig{Format: "ent"})
	ok := func(line string, w want) {
		t.Helper()
		var r Request
		if err := p.Parse([]byte(line), &r); err != nil {
			t.Fatalf("Parse(%q): %v", line, err)
		}
		if g := got(&r); g != w {
			t.Errorf("Parse(%q)\n got %+v\nwant %+v", line, g, w)
		}
	}
	ok(`10.1.2.3 - jdupont [30/Mar/2020:08:00:01 +0200] "GET /conversation/inbox?page=2 HTTP/1.1" 200 5123 "https://ent92.fr/" "`+ua+`" 0.123 "National_ELV"`,
		want{"2020-03-30T06:00:01Z", "GET", "/conversation/inbox", "jdupont", "10.1.2.3", ua, "National_ELV", 200, 5123, 0.123, true})
	// Anonymous, "-" bytes and profile, HTTP/2, winter offset.
	ok(`2001:db8::1 - - [15/Jan/2020:23:59:59 +0100] "POST /auth/login HTTP/2.0" 302 - "-" "`+ua+`" 0.004 "-"`,
		want{"2020-01-15T22:59:59Z", "POST", "/auth/login", "-", "2001:db8::1", ua, "-", 302, 0, 0.004, true})
	// Apache-escaped quote in the user agent, absolute URI, fragment.
	ok(`10.0.0.1 - - [30/Mar/2020:08:00:01 +0200] "GET http://ent92.fr/x/y#top HTTP/1.1" 304 0 "-" "say \"hi\" bot" 1 "ELEVE"`,
		want{"2020-03-30T06:00:01Z", "GET", "/x/y", "-", "10.0.0.1", `say \"hi\" bot`, "ELEVE", 304, 0, 1, true})
	// "-" request time.
	ok(`10.0.0.1 - - [30/Mar/2020:08:00:01 +0200] "GET / HTTP/1.1" 200 1 "-" "x" - "-"`,
		want{"2020-03-30T06:00:01Z", "GET", "/", "-", "10.0.0.1", "x", "-", 200, 1, 0, false})
}

func TestParseCombined(t *testing.T) {
	p := mustParser(t, ParseConfig{Format: "combined"})
	var r Request
	line := `10.1.2.3 - jdupont [30/Mar/2020:08:00:01 +0200] "GET /portal HTTP/1.1" 200 5123 "-" "` + ua + `"`
	if err := p.Parse([]byte(line), &r); err != nil {
		t.Fatal(err)
	}
	w := want{"2020-03-30T06:00:01Z", "GET", "/portal", "jdupont", "10.1.2.3", ua, "", 200, 5123, 0, false}
	if g := got(&r); g != w {
		t.Errorf("got %+v\nwant %+v", g, w)
	}
	// Lines with more fields (ent, nginx main) parse as combined.
	if err := p.Parse([]byte(line+` 0.5 "ELEVE"`), &r); err != nil || r.Profile != nil || r.HasDuration {
		t.Errorf("ent line as combined: err %v, profile %q, duration %v", err, r.Profile, r.HasDuration)
	}
}

// TestParseInvalid feeds every kind of bad input to each format and checks
// the reason.
func TestParseInvalid(t *testing.T) {
	good := `10.1.2.3 - u [30/Mar/2020:08:00:01 +0200] "GET /p HTTP/1.1" 200 1 "-" "` + ua + `" 0.1 "ELEVE"`
	replace := func(old, new string) string { return strings.Replace(good, old, new, 1) }
	parsers := map[string]Parser{
		"ent":        mustParser(t, ParseConfig{Format: "ent"}),
		"combined":   mustParser(t, ParseConfig{Format: "combined"}),
		"log_format": mustParser(t, ParseConfig{LogFormat: ENTFormat}),
	}
	f := func(reason, line string) {
		t.Helper()
		for name, p := range parsers {
			var r Request
			err := p.Parse([]byte(line), &r)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Reason != reason {
				t.Errorf("%s: Parse(%.80q) = %v, want reason %s", name, line, err, reason)
			}
		}
	}
	f(ReasonMalformed, "")
	f(ReasonMalformed, "garbage")
	f(ReasonMalformed, good[:40])
	f(ReasonMalformed, replace(" - u [", " u ["))
	f(ReasonBinary, "\x00\x01\x02\x16\x03\x01 binary junk")
	f(ReasonBinary, replace("GET", "G\x00T"))
	f(ReasonTooLong, good+strings.Repeat("a", 1<<20))
	f(ReasonBadUTF8, replace("/p", "/\xff\xfe"))
	f(ReasonBadUTF8, replace(ua, "\xc3\x28"))
	f(ReasonBadTime, replace("30/Mar/2020", "30/Foo/2020"))
	f(ReasonBadTime, replace("30/Mar/2020", "30/Feb/2020"))
	f(ReasonBadTime, replace("08:00:01", "25:00:01"))
	f(ReasonBadTime, replace("+0200", "+02"))
	f(ReasonBadTime, replace("+0200", "CEST"))
	f(ReasonBadTime, replace("30/Mar/2020:08:00:01 +0200", "yesterday"))
	f(ReasonBadRequest, replace(`"GET /p HTTP/1.1"`, `"-"`))
	f(ReasonBadRequest, replace(`"GET /p HTTP/1.1"`, `"\x16\x03\x01"`))
	f(ReasonBadRequest, replace(`GET /p`, `get /p`))
	f(ReasonBadRequest, replace(`GET /p`, `GET p`))
	f(ReasonBadStatus, replace(" 200 ", " 2000 "))
	f(ReasonBadStatus, replace(" 200 ", " abc "))
	f(ReasonBadStatus, replace(" 200 ", " 999 "))
	f(ReasonBadNumber, replace(" 200 1 ", " 200 -1 "))
	f(ReasonBadNumber, replace(" 200 1 ", " 200 1e3 "))
	// Fields that validate (issue 18): addresses, $request's shape, users
	// and profiles without spaces, quoted values ending where the format
	// says, years of 2000 to 2100.
	f(ReasonMalformed, replace("10.1.2.3 -", "10.1.2.3 10.1.2.3 -"))
	f(ReasonMalformed, replace("10.1.2.3", "10.1.2.300"))
	f(ReasonMalformed, replace("10.1.2.3", "0.1.2.3"))
	f(ReasonMalformed, replace("10.1.2.3", "010.1.2.3"))
	f(ReasonMalformed, replace("10.1.2.3", "2001:db8:::1"))
	f(ReasonMalformed, replace("10.1.2.3", "host.example"))
	f(ReasonMalformed, replace(" u [", " u 192.0.2.7 - u ["))
	f(ReasonBadRequest, replace(`GET /p HTTP/1.1`, `GET /p q HTTP/1.1`))
	f(ReasonBadRequest, replace(`GET /p HTTP/1.1`, `GET /p HTTP/1.1 x`))
	f(ReasonBadRequest, replace(`GET /p HTTP/1.1`, `GET /p HTTPS/1.1`))
	f(ReasonBadRequest, replace(`GET /p HTTP/1.1`, `GET /p HTTP/1.x`))
	f(ReasonBadRequest, replace(`GET /p HTTP/1.1`, `GET /p  HTTP/1.1`))
	f(ReasonMalformed, replace(`"-" "`, `"-x"y" "`))
	f(ReasonBadTime, replace("30/Mar/2020", "01/Jan/1600"))
	f(ReasonBadTime, replace("30/Mar/2020", "31/Dec/1999"))
	f(ReasonBadTime, replace("30/Mar/2020", "01/Jan/2101"))
	// Valid UTF-8 (an accented path, raw) is accepted.
	var r Request
	if err := parsers["ent"].Parse([]byte(replace("/p", "/élève")), &r); err != nil {
		t.Errorf("UTF-8 path: %v", err)
	}
	if err := parsers["ent"].Parse([]byte(replace(" 0.1 ", " abc ")), &r); err == nil {
		t.Errorf("bad request time accepted")
	}
}

// TestParseTornExamples: the lines of issue 18 that were read as requests,
// records cut short with the next one glued on, are rejected, and the
// last quoted field of a line that lacks its closing quote is not (a
// truncated user agent, which GoAccess counts too).
func TestParseTornExamples(t *testing.T) {
	ent, combined := mustParser(t, ParseConfig{Format: "ent"}), mustParser(t, ParseConfig{Format: "combined"})
	next := `82.76.253.198 - enzo.faure210 [23/Mar/2020:08:06:17 +0100] "GET /static/app.js HTTP/1.1" 200 512 "-" "` + ua + `" 0.002 "ELEVE"`
	for _, line := range []string{
		`82.76.253.198 - enzo.faure210 [23/Mar/2020:08:06:16 +0100] "GET /api` + next,
		`194.167.178.39 - mohamed.guerin120` + strings.Replace(next, "enzo.faure210", "mohamed.guerin120", 1),
		`90.75.251.14 ` + strings.Replace(next, "82.76.253.198", "90.75.251.14", 1),
		`10.0.0.1 - u [23/Mar/2020:08:06:16 +0100] "GET / HTTP/1.1" 200 1 "-" "` + ua + `" 0.1 "PERSON` +
			strings.Replace(next, "82.76.253.198", "2a01:e0a:1f:2::3", 1),
		`10.0.0.1 - u [23/Mar/2020:08:06:16 +0100] "GET / HTTP/1.1" 200 1 "-" "` + ua + `" 0.1 "ELEVE"` + next,
		`10.0.0.1 - u [23/Mar/2020:08:06:16 +0100] "GET / HTTP/1.1" 200 1 "https://ent92.fr/` + next,
	} {
		var r Request
		if err := ent.Parse([]byte(line), &r); err == nil {
			t.Errorf("torn line accepted: %q → %+v", line, got(&r))
		}
	}
	var r Request
	bot := `66.249.66.1 - - [23/Mar/2020:08:06:16 +0100] "GET /robots.txt HTTP/1.1" 200 68 "-" "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.goo`
	if err := combined.Parse([]byte(bot), &r); err != nil || string(r.UserAgent) != "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.goo" {
		t.Errorf("truncated user agent: %v, %q", err, r.UserAgent)
	}
	if err := ent.Parse([]byte(bot), &r); err == nil {
		t.Errorf("ent: a line cut inside the user agent (not its last field) accepted: %+v", got(&r))
	}
	if err := ent.Parse([]byte(next[:len(next)-1]), &r); err != nil || string(r.Profile) != "ELEVE" {
		t.Errorf("ent: profile without its closing quote: %v, %q", err, r.Profile)
	}
}

// TestParseNoAlloc checks the zero-allocation contract on good and bad
// lines of every parser, 1 MB lines included.
func TestParseNoAlloc(t *testing.T) {
	lines := entLines(64)
	lines = append(lines, []byte("garbage"), bytes.Repeat([]byte("x"), 1<<20), []byte("\x00\xff"),
		[]byte(`10.1.2.3 - u [30/Feb/2020:08:00:01 +0200] "GET /p HTTP/1.1" 200 1 "-" "a" 0.1 "x"`))
	jsonLines := [][]byte{
		[]byte(`{"time":"2020-03-30T08:00:01+02:00","path":"/a\/b?q","method":"GET","status":200,"user":"\u00e9l\u00e8ve","user_agent":"x \"y\""}`),
		[]byte(`{"time":1585548001,"path":"/a","method":"GET","status":"200","nested":{"a":[1,{"b":null}]}}`),
		[]byte(`{"time": "nope"}`), []byte(`[[[[[[[[[[[[[[[[[[[[[[[[`), []byte(`{"a":`),
	}
	check := func(name string, p Parser, lines [][]byte) {
		var r Request
		for _, l := range lines { // warm up caches and scratch buffers
			_ = p.Parse(l, &r)
		}
		if n := testing.AllocsPerRun(20, func() {
			for _, l := range lines {
				_ = p.Parse(l, &r)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations per run", name, n)
		}
	}
	check("ent", mustParser(t, ParseConfig{Format: "ent"}), lines)
	check("combined", mustParser(t, ParseConfig{Format: "combined"}), lines)
	check("json", mustParser(t, ParseConfig{Format: "json", JSON: JSONConfig{TimeLayouts: []string{"iso8601", "unix"}}}), jsonLines)

	cfg := ParseConfig{Services: map[string]string{"/conversation": "messagerie"}}
	cfg.ApplyDefaults()
	c, _ := NewClassifier(cfg)
	s := NewServices(cfg)
	prof, _ := NewProfiler(cfg, NewHasher([]byte("s")), nil)
	p := mustParser(t, ParseConfig{Format: "ent"})
	reqs := make([]Request, len(lines))
	for i, l := range lines {
		_ = p.Parse(l, &reqs[i])
		c.Class(&reqs[i])
	}
	if n := testing.AllocsPerRun(20, func() {
		for i := range reqs {
			IsPageView(&reqs[i], c.Class(&reqs[i]))
			s.Index(reqs[i].Path)
			prof.Lookup(&reqs[i], Key{}, true)
		}
	}); n != 0 {
		t.Errorf("classify, service, profile: %v allocations per run", n)
	}
}
