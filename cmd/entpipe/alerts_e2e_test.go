package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
	"github.com/entpipe/entpipe/exporters/prom/promtest"
)

// rulesDir holds the alert rules Prometheus is deployed with.
var rulesDir = filepath.Join("..", "..", "deploy", "prometheus", "rules")

// forRE is the `for:` clause of an alert rule.
var forRE = regexp.MustCompile(`(?m)^(\s+for:\s+)\S+\s*$`)

// alertNameRE is an alert rule's name.
var alertNameRE = regexp.MustCompile(`(?m)^\s+- alert:\s+(\S+)\s*$`)

// shortenedRules copies the rule files with every `for:` set to 5s, the
// expressions unchanged, and returns the copies' paths and their alerts.
func shortenedRules(t testing.TB, files ...string) (paths, alerts []string) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(rulesDir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range alertNameRE.FindAllSubmatch(data, -1) {
			alerts = append(alerts, string(m[1]))
		}
		path := filepath.Join(dir, f)
		if err := os.WriteFile(path, forRE.ReplaceAll(data, []byte("${1}5s")), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths, alerts
}

// writeOldSpool leaves in dir what an entpipe that could not reach InfluxDB
// would have left there at `at`, on a disk that flipped a bit since: one
// spool segment holding a damaged batch, then a batch of size bytes of line
// protocol. Records are in the spool's format (magic, CRC-32C of length,
// time and payload, length, time, payload: exporters/influx/spool.go).
func writeOldSpool(t testing.TB, dir string, at time.Time, size int) {
	t.Helper()
	record := func(payload []byte) []byte {
		rec := binary.LittleEndian.AppendUint32(nil, 0x5053feff)
		rec = binary.LittleEndian.AppendUint32(rec, 0) // CRC, set below
		rec = binary.LittleEndian.AppendUint32(rec, uint32(len(payload)))
		rec = binary.LittleEndian.AppendUint64(rec, uint64(at.UnixNano()))
		rec = append(rec, payload...)
		binary.LittleEndian.PutUint32(rec[4:8], crc32.Checksum(rec[8:], crc32.MakeTable(crc32.Castagnoli)))
		return rec
	}
	var payload []byte
	for i := 0; len(payload) < size; i++ {
		payload = fmt.Appendf(payload, "ent_active,department=78,ent=ent78 open_visits=%di %d\n", i, at.Add(-time.Duration(i)*time.Minute).UnixNano())
	}
	damaged := record(payload[:200])
	damaged[len(damaged)-100] ^= 0x04
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%020d.spool", 1)), append(damaged, record(payload)...), 0o600); err != nil {
		t.Fatal(err)
	}
}

// feeder appends lines to logs every 200 ms until stopped, as web servers
// under load would: each round's lines come from lines(round, now).
type feeder struct {
	stop func()
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error
}

func feed(logs map[string]func(round int, now time.Time) string) *feeder {
	ctx, cancel := context.WithCancel(context.Background())
	f := &feeder{stop: cancel}
	f.wg.Go(func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for round := 0; ; round++ {
			now := time.Now()
			for path, lines := range logs {
				fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
				if err == nil {
					_, err = fh.WriteString(lines(round, now))
					err = errors.Join(err, fh.Close())
				}
				if err != nil {
					f.mu.Lock()
					f.err = err
					f.mu.Unlock()
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	return f
}

func (f *feeder) close(t testing.TB) {
	t.Helper()
	f.stop()
	f.wg.Wait()
	if f.err != nil {
		t.Fatal(f.err)
	}
}

// TestIntegrationAlertsFireOnRealOutput is issue 19's point 5: every alert
// of deploy/prometheus/rules/entpipe.rules.yml, and those of ent.rules.yml
// whose series entpipe derives from logs and probes, fire in a real
// Prometheus from the series of real `entpipe run` processes, never from
// series written for the test:
//
//   - process A reads an ENT 92 log where half the lines are malformed, one
//     in ten is stamped an hour ahead, a quarter of the page views fail with
//     503, pages take 3 s, profiles are unknown and visits far exceed the
//     configured capacity; a second log whose lines are 15 minutes old;
//     an Enseigno source whose URL fails; a probe of an ENT URL that is
//     down. Killed at the end, it is down.
//   - process B cannot reach InfluxDB (a test-owned peer that closes every
//     connection) and restarts on a spool left 20 minutes ago that already
//     fills spool_max_size and holds a damaged record; before Prometheus
//     first scrapes it, its configuration file becomes invalid and a
//     SIGHUP's reload is refused.
//
// Prometheus evaluates copies of the rule files whose `for:` clauses are
// shortened to 5 s, the expressions unchanged (a test cannot wait 15
// minutes); `promtool test rules` (deploy/prometheus) checks the `for`
// semantics. ENTCertificateExpiringSoon is left out: it needs a probed
// server with a certificate expiring within 14 days.
func TestIntegrationAlertsFireOnRealOutput(t *testing.T) {
	skipShort(t, "end-to-end: builds and runs the binary, a real Prometheus evaluates the rules")
	promtest.Require(t, "prometheus")
	s := influxtest.Start(t)
	down := refuser(t)
	dir := t.TempDir()
	ent92, lagging, ent78 := filepath.Join(dir, "ent92.log"), filepath.Join(dir, "oze78.log"), filepath.Join(dir, "ent78.log")
	for _, f := range []string{ent92, lagging, ent78} {
		appendText(t, f, "")
	}
	configA := liveConfig(t, filepath.Join(dir, "a"), s.URL, s.Bucket,
		"capacity:\n  - {department: \"92\", ent: ent92, visits_per_day: 100}\n", fmt.Sprintf(`  - name: ent92
    entlog: {department: "92", ent: ent92, format: ent, paths: [%q]}
  - name: lagging
    entlog: {department: "78", ent: oze78, format: ent, paths: [%q]}
  - name: enseigno92
    interval: 1s
    enseigno: {department: "92", url: "http://%s/export.csv"}
  - name: front92
    interval: 1s
    infra:
      department: "92"
      ent: ent92
      probes: [{name: portail, url: "http://%s/"}]
`, ent92, lagging, down, down))
	dataB := filepath.Join(dir, "b")
	writeOldSpool(t, filepath.Join(dataB, "spool"), time.Now().Add(-20*time.Minute), 70<<10)
	configB := liveConfig(t, dataB, "http://"+down, "ent/autogen", "  spool_max_size: 65536\n", fmt.Sprintf(
		"  - name: ent78\n    entlog: {department: \"78\", ent: ent78, format: ent, paths: [%q]}\n", ent78))
	a, b := startRun(t, configA), startRun(t, configB)
	// EntpipeConfigReloadFailed looks at 5 minutes of
	// entpipe_config_last_reload_successful: refused before the first scrape.
	if err := os.WriteFile(configB, []byte("sources: [{name: Bad}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	b.waitMetric("entpipe_config_last_reload_successful", nil, time.Minute, func(v float64) bool { return v == 0 })
	rules, names := shortenedRules(t, "entpipe.rules.yml", "ent.rules.yml")
	ps := promtest.StartRules(t, rules, a.addr, b.addr)

	visitor := 0
	f := feed(map[string]func(int, time.Time) string{
		ent92: func(round int, now time.Time) string {
			var l strings.Builder
			for i := range 5 {
				fmt.Fprintf(&l, "garbage %d/%d\n", round, i)
			}
			l.WriteString(liveLine(now.Add(time.Hour), "ahead", "/conversation/inbox", 200, 0.05, "ELEVE"))
			for i := range 4 {
				visitor++
				status, raw := 200, "ELEVE"
				if i == 0 {
					status = 503
				}
				if i == 1 {
					raw = "National_XYZ" // outside the profile aliases
				}
				l.WriteString(liveLine(now, fmt.Sprintf("visitor%d", visitor), "/conversation/inbox", status, 3.0, raw))
			}
			return l.String()
		},
		lagging: func(round int, now time.Time) string {
			return liveLine(now.Add(-15*time.Minute), fmt.Sprintf("late%d", round%50), "/accueil", 200, 0.05, "PARENT")
		},
	})
	defer f.close(t)
	appendText(t, ent78, liveLine(time.Now(), "u78", "/accueil", 200, 0.05, "ELEVE"))

	want := map[string]map[string]string{
		"EntpipeSourceDown":            {"instance": a.addr, "source": "enseigno92"},
		"EntpipeSourceLagging":         {"instance": a.addr, "source": "lagging"},
		"EntpipeInvalidLines":          {"instance": a.addr, "source": "ent92"},
		"EntpipeLinesOutOfTime":        {"instance": a.addr, "source": "ent92"},
		"EntpipeLabelOverflow":         {"instance": a.addr, "label": "profile"},
		"EntpipeInfluxWriteErrors":     {"instance": b.addr},
		"EntpipeSpoolGrowing":          {"instance": b.addr},
		"EntpipeSpoolFull":             {"instance": b.addr},
		"EntpipeSpoolCorrupt":          {"instance": b.addr},
		"EntpipeConfigReloadFailed":    {"instance": b.addr},
		"ENTHighErrorRatio":            {"department": "92", "ent": "ent92"},
		"ENTSlowPages":                 {"department": "92", "ent": "ent92"},
		"ENTVisitsApproachingCapacity": {"department": "92", "ent": "ent92"},
		"ENTVisitsOverCapacity":        {"department": "92", "ent": "ent92"},
		"ENTDailyVisitsNearCapacity":   {"department": "92", "ent": "ent92"},
		"ENTProbeDown":                 {"department": "92", "ent": "ent92", "target": "portail"},
		"EntpipeDown":                  {"instance": a.addr}, // once A is killed
	}
	for _, n := range names {
		if _, ok := want[n]; !ok && n != "ENTCertificateExpiringSoon" {
			t.Errorf("alert %s of the rules is not shown firing by this test", n)
		}
	}
	start := time.Now()
	firedAt := map[string]time.Duration{}
	// check records when each alert of names fires with its expected
	// labels, and reports whether they all have.
	check := func(names []string) func() bool {
		return func() bool {
			alerts, err := ps.Alerts(context.Background())
			if err != nil {
				return false
			}
			for _, al := range alerts {
				name := al.Labels["alertname"]
				if al.State == "firing" && slices.Contains(names, name) && firedAt[name] == 0 && hasAll(al.Labels, want[name]) {
					firedAt[name] = time.Since(start).Round(100 * time.Millisecond)
				}
			}
			return !slices.ContainsFunc(names, func(n string) bool { return firedAt[n] == 0 })
		}
	}
	live := slices.DeleteFunc(slices.Collect(maps.Keys(want)), func(n string) bool { return n == "EntpipeDown" })
	if err := a.poll(4*time.Minute, check(live)); err != nil {
		var missing []string
		for _, n := range live {
			if firedAt[n] == 0 {
				missing = append(missing, n)
			}
		}
		t.Fatalf("alerts not firing after %v: %v (fired: %v)", time.Since(start).Round(time.Second), missing, firedAt)
	}
	alerts, err := ps.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, al := range alerts {
		if name := al.Labels["alertname"]; al.State == "firing" && !hasAll(al.Labels, want[name]) {
			t.Errorf("unexpected alert firing: %v", al.Labels)
		}
	}
	a.kill()
	if err := b.poll(time.Minute, check([]string{"EntpipeDown"})); err != nil {
		t.Fatalf("EntpipeDown did not fire for the killed process: %v", err)
	}
	t.Logf("alerts firing after (for: 5s): %v", firedAt)
}

// hasAll reports whether labels hold every pair of want (false for a nil
// want: an alert the test does not expect).
func hasAll(labels, want map[string]string) bool {
	if want == nil {
		return false
	}
	for k, v := range want {
		if labels[k] != v {
			return false
		}
	}
	return true
}
