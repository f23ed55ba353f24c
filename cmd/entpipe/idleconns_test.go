package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
	"github.com/entpipe/entpipe/exporters/prom"
	"github.com/entpipe/entpipe/exporters/prom/promtest"
)

// TestIntegrationRunUnderIdleConnections is issue 14's HTTP acceptance:
// while 3,000 idle keep-alive connections are held against the metrics
// server of a running pipeline, /metrics answers in under 2 s and the
// source keeps reading and checkpointing; the server then closes every
// idle connection within 2 minutes. The pipeline runs in this process
// (startServe) so that the idle timeout can be shortened to 40 s (the
// default, 90 s, is under 2 minutes too), with a connection limit above
// 3,000 so that the server holds them all: closing the longest-idle ones
// at the default limit is TestServerConnectionLimit's.
func TestIntegrationRunUnderIdleConnections(t *testing.T) {
	skipShort(t, "end-to-end: 3,000 connections against a running pipeline")
	const idle = 3000
	// Both ends of every connection are in this process.
	if soft, _, err := raiseOpenFilesLimit(); err != nil || soft < 2*idle+fdReserve {
		t.Fatalf("open files limit %d (%v): this test needs %d; raise the hard limit (ulimit -Hn)", soft, err, 2*idle+fdReserve)
	}
	s := influxtest.Start(t)
	l, _ := pageViewLogs(t)
	dataDir := t.TempDir()
	p := startServe(t, writeConfig(t, dataDir, s.URL, s.Bucket, []*liveLog{l}),
		prom.ServerConfig{ListenAddresses: []string{"127.0.0.1:0"}, MaxConnections: idle + 100, IdleTimeout: 40 * time.Second})
	source := map[string]string{"source": l.name}
	p.waitMetric("entpipe_lines_total", map[string]string{"result": "too_long"}, time.Minute, func(v float64) bool { return v >= 1 })
	checkpoint := filepath.Join(dataDir, "state", l.name, "checkpoint.gob")
	before := p.waitMetric("entpipe_checkpoint_timestamp_seconds", source, time.Minute, func(v float64) bool { return v > 0 })
	fileBefore, err := os.ReadFile(checkpoint)
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	clients := promtest.HoldIdle(t, p.addr, "/-/healthy", idle)
	opened, held := time.Since(start), time.Now()
	p.waitMetric("entpipe_http_connections", map[string]string{"state": "idle"}, time.Minute, func(v float64) bool { return v >= idle })

	start = time.Now()
	if _, err := p.scrape(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took >= 2*time.Second {
		t.Errorf("/metrics answered in %v with %d idle connections held, want under 2s", took, idle)
	} else {
		t.Logf("/metrics answered in %v with %d idle connections held (opened in %v)", took, idle, opened)
	}

	l.lines = append(l.lines, []byte(markerLine))
	l.advance(t, 1)
	p.waitMetric("entpipe_lines_total", map[string]string{"result": "too_long"}, time.Minute, func(v float64) bool { return v >= 2 })
	after := p.waitMetric("entpipe_checkpoint_timestamp_seconds", source, time.Minute, func(v float64) bool { return v > before })
	// The content, not the inode (a file replaced twice may get its first
	// inode number back): a checkpoint after the appended line was read
	// holds its offset.
	p.waitFor("a checkpoint with the appended line's offset", time.Minute, func() bool {
		fileAfter, err := os.ReadFile(checkpoint)
		return err == nil && !bytes.Equal(fileBefore, fileAfter)
	})
	if open := clients.Open(); open != idle {
		t.Errorf("%d of %d connections open after the source's checks, want all (idle timeout 40s)", open, idle)
	}
	t.Logf("source read the appended line and checkpointed %.1fs later while %d connections were held", after-before, idle)

	clients.WaitAllClosed(2*time.Minute - time.Since(held))
	t.Logf("the server closed all %d idle connections %v after the last one was opened", idle, time.Since(held))
}
