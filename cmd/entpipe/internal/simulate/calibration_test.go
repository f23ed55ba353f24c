package simulate

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// audit reads the ent format back with the audience rules of
// docs/design.md#audience-definitions and
// counts what the calibration checks. It is an io.Writer, so a day streams
// through it without being held.
type audit struct {
	t       *testing.T
	partial []byte
	lines   int
	invalid int
	logins  map[string]time.Time // login POST time by address
	splits  int                  // authenticated visits that start without a login: a > 30 min pause
	visits  map[string]int       // by raw profile ("-" anonymous)
	last    map[string]time.Time
	prev    time.Time
	// offsets seen by local hour, for the DST day.
	offsets map[int]map[string]bool
}

func newAudit(t *testing.T) *audit {
	return &audit{t: t, visits: map[string]int{}, last: map[string]time.Time{}, offsets: map[int]map[string]bool{},
		logins: map[string]time.Time{}}
}

func (a *audit) Write(p []byte) (int, error) {
	data := append(a.partial, p...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		a.line(string(data[:i]))
		data = data[i+1:]
	}
	a.partial = append(a.partial[:0], data...)
	return len(p), nil
}

func (a *audit) total() (n int) {
	for _, v := range a.visits {
		n += v
	}
	return n
}

// line parses `ip - user [time] "method path proto" status bytes "ref" "ua" rt "profile"`.
func (a *audit) line(l string) {
	a.lines++
	ip, rest, ok1 := strings.Cut(l, " - ")
	user, rest, ok2 := strings.Cut(rest, " [")
	stamp, rest, ok3 := strings.Cut(rest, `] "`)
	req, rest, ok4 := strings.Cut(rest, `" `)
	fields := strings.Split(rest, `"`) // status bytes, ref, " ", ua, " rt ", profile, ""
	ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", stamp)
	if !ok1 || !ok2 || !ok3 || !ok4 || len(fields) != 7 || err != nil {
		a.invalid++
		return
	}
	if ts.Before(a.prev) {
		a.t.Errorf("line %d goes back in time: %s after %s", a.lines, ts, a.prev)
	}
	a.prev = ts
	hour := ts.Hour()
	if a.offsets[hour] == nil {
		a.offsets[hour] = map[string]bool{}
	}
	a.offsets[hour][stamp[len(stamp)-5:]] = true
	method, path, _ := strings.Cut(req, " ")
	path, _, _ = strings.Cut(path, " ")
	path, _, _ = strings.Cut(path, "?")
	status := strings.Fields(fields[0])[0]
	ua, profile := fields[3], fields[5]
	if method == "POST" && path == "/auth/login" {
		a.logins[ip] = ts
	}
	lower := strings.ToLower(ua)
	switch {
	case strings.Contains(lower, "bot") || strings.Contains(lower, "curl") || strings.Contains(lower, "python-requests"),
		path == "/healthz", strings.HasPrefix(path, "/api/"), strings.HasPrefix(path, "/assets/"),
		strings.HasSuffix(path, ".pdf"), method != "GET", status[0] != '2' && status != "304":
		return
	}
	key := user
	if user == "-" {
		key = ip + ua
	}
	if prev, ok := a.last[key]; !ok || ts.Sub(prev) > 30*time.Minute {
		a.visits[profile]++
		if user != "-" && !a.logins[ip].Equal(ts) {
			a.splits++
		}
	}
	a.last[key] = ts
}

func auditDay(t *testing.T, ent string, day time.Time, scale float64) *audit {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	ents, err := selectENTs([]string{ent})
	if err != nil {
		t.Fatal(err)
	}
	a := newAudit(t)
	if _, err := writeDay(a, &ents[0], day, loc, scale, 1); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestCalibration checks the scenario against the bulletin on a few days of
// ENT 92 at 5 % scale (volumes scale linearly: accounts scale with visits).
func TestCalibration(t *testing.T) {
	const scale = 0.05
	lockdown := auditDay(t, "ent92", civil(2020, 3, 30), scale)
	school := auditDay(t, "ent92", civil(2020, 3, 10), scale)
	holiday := auditDay(t, "ent92", civil(2020, 2, 11), scale)
	schoolFeb := auditDay(t, "ent92", civil(2020, 2, 4), scale)
	perScale1 := float64(lockdown.total()) / scale
	t.Logf("ent92 visits/day at scale 1: lockdown %.0f, school %.0f, holiday %.0f; lines %d",
		perScale1, float64(school.total())/scale, float64(holiday.total())/scale, lockdown.lines)

	if perScale1 < 165_000 || perScale1 > 190_000 {
		t.Errorf("ENT 92 on 30 March 2020: %.0f visits a day at scale 1, want near 180,000", perScale1)
	}
	if r := float64(lockdown.total()) / float64(school.total()); r < 1.7 || r > 2.3 {
		t.Errorf("lockdown / school day visits = %.2f, want about 2", r)
	}
	if r := float64(holiday.total()) / float64(schoolFeb.total()); r > 0.4 {
		t.Errorf("holiday / school day visits = %.2f, want a quiet holiday (< 0.4)", r)
	}
	shares := map[string][2]float64{"ELEVE": {0.55, 0.72}, "PARENT": {0.13, 0.25}, "ENSEIGNANT": {0.08, 0.16},
		"PERSONNEL": {0.01, 0.04}, "-": {0.01, 0.06}}
	for p, want := range shares {
		if s := float64(lockdown.visits[p]) / float64(lockdown.total()); s < want[0] || s > want[1] {
			t.Errorf("profile %s: %.3f of visits, want in [%.2f, %.2f]", p, s, want[0], want[1])
		}
	}
	if r := float64(lockdown.splits) / float64(lockdown.total()); r < 0.005 || r > 0.08 {
		t.Errorf("visits after a > 30 min pause: %.3f of visits, want a few (the visit rule must be exercised)", r)
	}
	if lockdown.invalid+school.invalid+holiday.invalid+schoolFeb.invalid == 0 {
		t.Errorf("no malformed line in four days")
	}
}

// TestDSTDay checks the offsets of 29 March 2020: +0100 before 02:00,
// +0200 from 03:00, and no local time in between.
func TestDSTDay(t *testing.T) {
	a := auditDay(t, "oze78", civil(2020, 3, 29), 0.02)
	for h := range 24 {
		var want string
		switch {
		case h < 2:
			want = "+0100"
		case h == 2:
			want = ""
		default:
			want = "+0200"
		}
		got := strings.Join(keys(a.offsets[h]), ",")
		if got != want {
			t.Errorf("29 March 2020 %02d h: offsets %q, want %q", h, got, want)
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
