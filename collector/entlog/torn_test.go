package entlog

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Torn records (issue 18): a record cut at some byte, alone on its line
// (a crash mid-write) or with the next record glued on (concurrent
// writers). The sample is 34 consecutive-ish records of `entpipe simulate
// -from 2020-03-30 -to 2020-03-30 -scale 0.002 -seed 18` (ENT 92 around
// 09:00: logins, page views of every profile, assets, API calls, a PDF, a
// health probe, anonymous pages), plus a robot line written as the
// simulator writes them (its robots are too rare at that scale).

// simRecord is one sample record's fields, to write it in other formats.
type simRecord struct {
	ip, user, stamp, request, status, bytes, referer, agent, rt, profile string
}

func simRecords(t testing.TB) []simRecord {
	t.Helper()
	entRecord := regexp.MustCompile(`^(\S+) - (\S+) \[([^\]]+)\] "([^"]*)" (\d+) (\d+) "([^"]*)" "([^"]*)" (\S+) "([^"]*)"$`)
	data, err := os.ReadFile(filepath.Join("testdata", "torn", "simulated.log"))
	if err != nil {
		t.Fatal(err)
	}
	var out []simRecord
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		m := entRecord.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("sample line is not in the ent format: %q", l)
		}
		out = append(out, simRecord{m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10]})
	}
	return out
}

// withIPv6 is the sample with IPv6 client addresses, compressed as
// browsers' are (`2a01:e0a:64:6d::1ef` for 100.109.1.239), the shapes that
// the log had (`PERSON2a01:e0a:…`).
func withIPv6(records []simRecord) []simRecord {
	out := make([]simRecord, len(records))
	for i, r := range records {
		var a, b, c, d int
		fmt.Sscanf(r.ip, "%d.%d.%d.%d", &a, &b, &c, &d)
		r.ip = fmt.Sprintf("2a01:e0a:%x:%x::%x", a, b, c<<8|d)
		out[i] = r
	}
	return out
}

// tornSamples are the sample records with IPv4 (as simulated) and IPv6
// addresses.
func tornSamples(t testing.TB) map[string][]simRecord {
	v4 := simRecords(t)
	return map[string][]simRecord{"ipv4": v4, "ipv6": withIPv6(v4)}
}

// tornFormat is a log format of the torn-record tests: its configuration,
// how a sample record is written in it, and the role of its last field,
// the one a record cut at its end may lose the tail of and still count.
type tornFormat struct {
	name   string
	cfg    ParseConfig
	write  func(i int, r simRecord) string
	blank  func(*want) // blanks the last field
	prefix func(*want) string
}

// tornLogFormat is a front proxy's format: the client in
// $http_x_forwarded_for, then custom variables.
const tornLogFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for" rt=$request_time uai=$ent_uai p=$ent_profile`

func tornFormats() []tornFormat {
	profile := func(w *want) { w.Profile = "" }
	profileOf := func(w *want) string { return w.Profile }
	combined := func(r simRecord) string {
		return fmt.Sprintf(`%s - %s [%s] "%s" %s %s "%s" "%s"`, r.ip, r.user, r.stamp, r.request, r.status, r.bytes, r.referer, r.agent)
	}
	return []tornFormat{
		{"ent", ParseConfig{Format: "ent"}, func(_ int, r simRecord) string {
			return combined(r) + fmt.Sprintf(` %s "%s"`, r.rt, r.profile)
		}, profile, profileOf},
		{"combined", ParseConfig{Format: "combined"}, func(_ int, r simRecord) string { return combined(r) },
			func(w *want) { w.Agent = "" }, func(w *want) string { return w.Agent }},
		{"log_format", ParseConfig{LogFormat: tornLogFormat, Fields: map[string]string{"profile": "ent_profile"}},
			func(i int, r simRecord) string {
				xff := r.ip
				if i%2 == 1 {
					xff += ", 172.16.9.1"
				}
				return fmt.Sprintf(`172.16.0.%d - %s [%s] "%s" %s %s "%s" "%s" "%s" rt=%s uai=0920%03dA p=%s`,
					2+i%5, r.user, r.stamp, r.request, r.status, r.bytes, r.referer, r.agent, xff, r.rt, i, r.profile)
			}, profile, profileOf},
		{"json", ParseConfig{Format: "json"}, func(_ int, r simRecord) string {
			at, err := time.Parse("02/Jan/2006:15:04:05 -0700", r.stamp)
			if err != nil {
				panic(err)
			}
			method, target, _ := strings.Cut(r.request, " ")
			target, _, _ = strings.Cut(target, " ")
			var user any = r.user
			if r.user == "-" {
				user = nil
			}
			b, err := json.Marshal(map[string]any{"time": at.Format(time.RFC3339), "ip": r.ip, "user": user, "method": method,
				"path": target, "status": json.Number(r.status), "bytes": json.Number(r.bytes), "duration": json.Number(r.rt),
				"user_agent": r.agent, "profile": r.profile, "referer": r.referer})
			if err != nil {
				panic(err)
			}
			return string(b)
		}, nil, nil},
	}
}

// tornCase is a format with its parser, classifier and sample lines.
type tornCase struct {
	tornFormat
	p     Parser
	c     *Classifier
	lines []string
	reqs  []want // the parse of each sample line
}

func newTornCase(t *testing.T, f tornFormat, records []simRecord) tornCase {
	t.Helper()
	cfg := f.cfg
	cfg.HealthPaths = []string{"/healthz"}
	cfg.ApplyDefaults()
	c, err := NewClassifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tc := tornCase{tornFormat: f, p: mustParser(t, cfg), c: c}
	for i, rec := range records {
		line := f.write(i, rec)
		var r Request
		if err := tc.p.Parse([]byte(line), &r); err != nil {
			t.Fatalf("%s: sample %q: %v", f.name, line, err)
		}
		tc.lines, tc.reqs = append(tc.lines, line), append(tc.reqs, got(&r))
	}
	return tc
}

// leadingAddress is the length of a line's first field, the client (or
// proxy) address of every format but JSON.
func leadingAddress(line string) int {
	if strings.HasPrefix(line, "{") {
		return 0
	}
	return strings.IndexByte(line, ' ')
}

// sameButAddress reports whether two requests differ at most in IP.
func sameButAddress(a, b want) bool {
	a.IP, b.IP = "", ""
	return a == b
}

// TestTornRecordsGlued: every sample line of every format, cut after each
// of its bytes (the whole line included) with the next record glued on.
// The only glued line that can be a request is one cut inside the leading
// address whose bytes, with the next record's address, still make an
// address: `1` + `10.0.0.2…`, `2a01:` + `2a01:e0a:64:6d::86f0…`. That line is,
// byte for byte, a well-formed record (the next one, with another address)
// and nothing can tell it from one. With the simulator's IPv4 addresses,
// no glued line is a page view; with compressed IPv6 ones, the glued lines
// read as the next record are the only ones. An import of the sample with
// every glued line added counts the same visits, page views and visitors
// as the sample plus those records.
func TestTornRecordsGlued(t *testing.T) {
	for _, f := range tornFormats() {
		for addr, records := range tornSamples(t) {
			t.Run(f.name+"/"+addr, func(t *testing.T) {
				tc := newTornCase(t, f, records)
				var damaged, reference strings.Builder
				glued, requests, pages := 0, 0, 0
				for i, a := range tc.lines {
					j := (i + 1) % len(tc.lines)
					b := tc.lines[j]
					damaged.WriteString(a + "\n")
					reference.WriteString(a + "\n")
					for k := 1; k <= len(a); k++ {
						line := a[:k] + b
						glued++
						damaged.WriteString(line + "\n")
						var r Request
						if tc.p.Parse([]byte(line), &r) != nil {
							continue
						}
						if k > leadingAddress(a) || !sameButAddress(got(&r), tc.reqs[j]) {
							t.Errorf("%q + next record accepted as %+v", a[:k], got(&r))
							continue
						}
						requests++
						reference.WriteString(line + "\n")
						if IsPageView(&r, tc.c.Class(&r)) {
							pages++
							if addr == "ipv4" {
								t.Errorf("%q + next record is a page view: %q", a[:k], line)
							}
						}
					}
				}
				t.Logf("%d glued lines; %d read as the next record with another address, %d of them page views", glued, requests, pages)
				checkSameAudience(t, tc.cfg, reference.String(), damaged.String())
			})
		}
	}
}

// TestTornRecordsCut: the head of a record cut after any of its bytes,
// alone on its line, is rejected unless the cut falls inside the format's
// last field: such a line (a user agent truncated in an Apache log) is
// still a request, with that field's head, as GoAccess counts it. The
// tail, as concurrent writers leave it on the next line, is rejected
// unless the cut falls inside the leading address and leaves an address
// (`98.19.110.19` from `198.19.110.19`): a well-formed record.
func TestTornRecordsCut(t *testing.T) {
	for _, f := range tornFormats() {
		for addr, records := range tornSamples(t) {
			t.Run(f.name+"/"+addr, func(t *testing.T) {
				tc := newTornCase(t, f, records)
				heads, tails := 0, 0
				for i, a := range tc.lines {
					for k := 1; k < len(a); k++ {
						var r Request
						if tc.p.Parse([]byte(a[:k]), &r) == nil {
							heads++
							g, w := got(&r), tc.reqs[i]
							if f.blank == nil || !strings.HasPrefix(f.prefix(&w), f.prefix(&g)) {
								t.Fatalf("head %q accepted as %+v", a[:k], g)
							}
							f.blank(&g)
							f.blank(&w)
							if g != w {
								t.Errorf("head %q accepted as %+v, want %+v but the last field", a[:k], g, w)
							}
						}
						if tc.p.Parse([]byte(a[k:]), &r) == nil {
							tails++
							if k >= leadingAddress(a) || !sameButAddress(got(&r), tc.reqs[i]) {
								t.Errorf("tail %q accepted as %+v", a[k:], got(&r))
							}
						}
					}
				}
				t.Logf("heads read as requests (cut in the last field): %d; tails read as records: %d", heads, tails)
			})
		}
	}
}

// checkSameAudience imports both logs with cfg and compares the audience
// points (visits, page views, services, open visits, unique visitors).
func checkSameAudience(t *testing.T, cfg ParseConfig, reference, damaged string) {
	t.Helper()
	dir := t.TempDir()
	c := Config{Paths: []string{"unused"}, ParseConfig: cfg}
	c.HealthPaths = []string{"/healthz"}
	c.Site.Department, c.Site.ENT = "92", "ent92"
	c.ApplyDefaults()
	audience := func(log string) (string, Summary) {
		lp, sum := importLP(t, newTestSource(t, c, Options{}), writeFile(t, filepath.Join(dir, "log"), log))
		var keep []string
		for _, l := range strings.Split(lp, "\n") {
			if !strings.HasPrefix(l, "ent_requests") && !strings.HasPrefix(l, "ent_request_duration") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n"), sum
	}
	want, wantSum := audience(reference)
	got, gotSum := audience(damaged)
	if wantSum.PageViews == 0 || wantSum.Visits == 0 {
		t.Fatalf("sample has no audience: %+v", wantSum)
	}
	if got != want || gotSum.PageViews != wantSum.PageViews || gotSum.Visits != wantSum.Visits || gotSum.Visitors != wantSum.Visitors {
		t.Errorf("damaged log: %d page views, %d visits, %d visitors; reference: %d, %d, %d\n%s",
			gotSum.PageViews, gotSum.Visits, gotSum.Visitors, wantSum.PageViews, wantSum.Visits, wantSum.Visitors, diffLP(want, got))
	}
}
