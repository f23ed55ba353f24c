package main

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// TestIntegrationRunSurvivesKill is issue 4's crash acceptance: the real
// binary tails three simulated ENT logs while they are written and rotated,
// and is killed with SIGKILL at random moments while it reads, then
// restarted each time. Kills 3 and 4 happen while InfluxDB refuses
// connections (the test's proxy in front of influxd), so the process is
// killed while it spools and restarted on a spool it must replay. The
// final totals in InfluxDB must equal, to the unit, those of `entpipe
// import` of the same files into another database, and the spool must be
// empty.
func TestIntegrationRunSurvivesKill(t *testing.T) {
	skipShort(t, "end-to-end: builds and runs the binary")
	s := influxtest.Start(t)
	logs := simulatedLogs(t, 0.05, 0.45)
	total := 0
	for _, l := range logs {
		total += len(l.lines)
	}
	runData := filepath.Join(t.TempDir(), "run")
	runConfig := writeConfig(t, runData, s.URL, s.Bucket, logs)

	seed := uint64(time.Now().UnixNano())
	t.Logf("%d lines in 3 logs, rotated at 45%%; kill seed %d", total, seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	const kills, spoolFrom, spoolTo = 6, 2, 4 // InfluxDB refuses for kills spoolFrom+1..spoolTo
	p := startRun(t, runConfig)
	for i := range kills {
		if i == spoolFrom {
			s.Proxy.Refuse()
		}
		before := p.waitMetric("entpipe_lines_total", nil, 30*time.Second, func(float64) bool { return true })
		appended := advanceAll(t, logs, float64(i+1)/float64(kills+1))
		// The process reads at least every line appended after it
		// started, so this count is reached; it is killed right after.
		target := before + 1 + float64(rng.IntN(appended))
		got := p.waitMetric("entpipe_lines_total", nil, time.Minute, func(v float64) bool { return v >= target })
		p.kill()
		down := ""
		if i >= spoolFrom && i < spoolTo {
			down = ", InfluxDB refused"
		}
		t.Logf("kill %d: SIGKILL after %.0f lines read by this process (%d appended before it%s)", i+1, got, appended, down)
		p = startRun(t, runConfig)
		if i+1 == spoolTo {
			p.waitMetric("entpipe_spool_bytes", nil, time.Minute, func(v float64) bool { return v > 0 })
			s.Proxy.Normal()
		}
	}
	advanceAll(t, logs, 1)
	for _, l := range logs {
		p.waitMetric("entpipe_lines_total", map[string]string{"source": l.name, "result": "too_long"}, time.Minute, func(v float64) bool { return v >= 1 })
	}
	p.stop(3 * time.Minute)
	if n := spoolBytes(t, filepath.Join(runData, "spool")); n != 0 {
		t.Errorf("the spool still holds %d bytes after a graceful stop", n)
	}

	compareWithImport(t, s, logs, "run killed 6 times (2 while spooling) vs import")
}
