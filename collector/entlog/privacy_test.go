package entlog

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
)

// TestPrivacy feeds lines with known user ids, IPs and user agents (good
// lines and bad ones, which are sampled in the log) through Import and
// Stream, and checks that none of them appears in a point, the checkpoint,
// the log output or the self-metrics.
func TestPrivacy(t *testing.T) {
	lines := genLog(21, 3000, 300, time.Date(2020, 3, 30, 8, 0, 0, 0, parisZone(t)), 2*time.Hour)
	var bad []genLine
	for i, l := range lines[:200] { // the same identities in lines that fail to parse
		broken := strings.Replace(l.text, "HTTP/1.1\" ", "HTTP/1.1\" x", 1)
		if i%2 == 0 {
			broken = strings.Replace(l.text, "[", "[99/", 1)
		}
		bad = append(bad, genLine{l.t, broken})
	}
	ids := map[string]bool{}
	idRe := regexp.MustCompile(`^(\S+) - (\S+) .*"(Mozilla[^"]*)"`)
	for _, l := range lines {
		m := idRe.FindStringSubmatch(l.text)
		if m == nil {
			continue
		}
		ids[m[1]] = true
		if m[2] != "-" {
			ids[m[2]] = true
		}
		ids[m[3]] = true
		ids[m[3][len(m[3])-6:]] = true // the distinctive tail of the user agent
	}
	if len(ids) < 300 {
		t.Fatalf("only %d identities generated", len(ids))
	}
	dir := t.TempDir()
	input := writeFile(t, filepath.Join(dir, "access.log"), joinLines(append(bad, lines...)))
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	stats := collector.NewStats()
	cfg := genConfig(input)
	opts := Options{Log: log, Stats: stats, Now: fakeClock(), StateDir: filepath.Join(dir, "state")}

	var rec collectortest.Recorder
	s := newTestSource(t, cfg, opts)
	sum, err := s.Import(context.Background(), &rec, []string{input}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := runStream(t, newTestSource(t, cfg, opts), &rec, func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	checkpoint, err := os.ReadFile(filepath.Join(dir, "state", "checkpoint.gob"))
	if err != nil {
		t.Fatal(err)
	}
	var metrics strings.Builder
	for _, smp := range stats.Snapshot() {
		fmt.Fprintln(&metrics, smp.Name, smp.Labels, smp.Value)
	}
	// 200 bad lines in each of two runs, the clock moving 1 s per reading:
	// at most one warning per reason a minute.
	if n := strings.Count(logs.String(), `"bad log line"`); n == 0 || n > 20 {
		t.Fatalf("%d bad-line warnings for 400 bad lines, want a few (sampled):\n%s", n, logs.String())
	}
	outputs := map[string]string{
		"points":     collectortest.LineProtocol(rec.Points()),
		"checkpoint": string(checkpoint),
		"log":        logs.String(),
		"metrics":    metrics.String(),
		"summary":    sum.String(),
	}
	for name, out := range outputs {
		if len(out) == 0 {
			t.Errorf("%s is empty: nothing to check", name)
		}
		for id := range ids {
			if strings.Contains(out, id) {
				t.Errorf("identity %q appears in the %s", id, name)
			}
		}
	}
}
