package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// TestIntegrationRunReload is issue 15's reload acceptance. The real binary
// tails two simulated ENT logs (ent92, ecollege78) while they are written
// and rotated, and its configuration is reloaded three ways: a source added
// (oze78, by SIGHUP), a source changed (ecollege78's checkpoint interval,
// by POST /-/reload), an invalid file and a change only a restart can make
// (refused, by both), then the valid file again. ent92 is never touched:
// it reads each of its lines once (entpipe_lines_total equals its line
// count, so it was not restarted), and at the end InfluxDB holds, to the
// unit, the totals of `entpipe import` of the same files into another
// database for all three ENTs: nothing lost or doubled across the reloads,
// the changed source resumed from its checkpoint, the added one read its
// log from the beginning.
func TestIntegrationRunReload(t *testing.T) {
	skipShort(t, "end-to-end: builds and runs the binary")
	s := influxtest.Start(t)
	logs := simulatedLogs(t, 0.01, 0.5)
	byName := map[string]*liveLog{}
	for _, l := range logs {
		byName[l.name] = l
	}
	dataDir := filepath.Join(t.TempDir(), "run")
	config := filepath.Join(t.TempDir(), "entpipe.yaml")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	valid := configYAML(dataDir, s.URL, s.Bucket, logs)
	write(configYAML(dataDir, s.URL, s.Bucket, []*liveLog{byName["ent92"], byName["ecollege78"]}))
	p := startRun(t, config, "--web.enable-lifecycle")

	readAll := func(names ...string) {
		t.Helper()
		for _, n := range names {
			l := byName[n]
			p.waitMetric("entpipe_lines_total", map[string]string{"source": n}, time.Minute, func(v float64) bool { return v >= float64(l.written) })
		}
	}
	logged := func(msg string, n int) string {
		t.Helper()
		var lines []string
		p.waitFor(`log records "`+msg+`"`, time.Minute, func() bool {
			b, _ := os.ReadFile(p.log)
			lines = nil
			for l := range strings.Lines(string(b)) {
				if strings.Contains(l, `msg="`+msg+`"`) {
					lines = append(lines, l)
				}
			}
			return len(lines) >= n
		})
		if len(lines) != n {
			t.Fatalf("%d log records %q, want %d:\n%s", len(lines), msg, n, strings.Join(lines, ""))
		}
		return lines[n-1]
	}
	post := func(wantCode int) string {
		t.Helper()
		resp, err := http.Post("http://"+p.addr+"/-/reload", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != wantCode {
			t.Fatalf("POST /-/reload: %s, want %d\n%s", resp.Status, wantCode, body)
		}
		return string(body)
	}
	hup := func() {
		t.Helper()
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	successful := func(want float64) {
		t.Helper()
		p.waitMetric("entpipe_config_last_reload_successful", nil, time.Minute, func(v float64) bool { return v == want })
	}

	advanceAll(t, logs, 1.0/3)
	readAll("ent92", "ecollege78")

	// 1. A source added, by SIGHUP: it reads its log from the beginning.
	write(valid)
	hup()
	if l := logged("configuration reloaded", 1); !strings.Contains(l, "started=[oze78] stopped=[] restarted=[]") {
		t.Errorf("reload 1: %s", l)
	}
	readAll("oze78")
	successful(1)

	// 2. A source changed, by POST /-/reload: it is restarted, the others go on.
	advanceAll(t, logs, 2.0/3)
	write(strings.Replace(valid, "ecollege78/access.log*\"]\n      health_paths: [/healthz]\n      services: {/conversation: messagerie, /homeworks: cahier-de-textes, /timeline: fil-de-nouveautes}\n      checkpoint_interval: 100ms",
		"ecollege78/access.log*\"]\n      health_paths: [/healthz]\n      services: {/conversation: messagerie, /homeworks: cahier-de-textes, /timeline: fil-de-nouveautes}\n      checkpoint_interval: 150ms", 1))
	post(http.StatusOK)
	if l := logged("configuration reloaded", 2); !strings.Contains(l, "started=[] stopped=[] restarted=[ecollege78]") {
		t.Errorf("reload 2: %s", l)
	}
	changed, err := os.ReadFile(config)
	if err != nil || string(changed) == valid {
		t.Fatalf("the changed configuration was not written: %v", err)
	}

	// 3. An invalid file, by POST and by SIGHUP: refused with every
	// problem, the running configuration kept.
	write(strings.Replace(strings.Replace(string(changed), "format: ent\n", "format: ent\n      pathz: [/x]\n", 1),
		"flush_interval: 10s", "flush_interval: soon", 1))
	body := post(http.StatusInternalServerError)
	for _, want := range []string{"(2 problems)", `entlog.pathz: unknown key`, `influx.flush_interval: "soon" is not a duration`} {
		if !strings.Contains(body, want) {
			t.Errorf("POST /-/reload of an invalid file: answer lacks %q:\n%s", want, body)
		}
	}
	successful(0)
	hup()
	if l := logged("configuration reload refused, the previous configuration keeps running", 2); !strings.Contains(l, "entlog.pathz: unknown key") {
		t.Errorf("refused reload logged without its problems: %s", l)
	}
	// A change only a restart can apply is refused too.
	write(strings.Replace(string(changed), "flush_interval: 10s", "flush_interval: 5s", 1))
	if body := post(http.StatusInternalServerError); !strings.Contains(body, "influx changed: restart entpipe to apply that") {
		t.Errorf("POST /-/reload of a new influx section: %s", body)
	}

	// The sources kept running through the refusals.
	advanceAll(t, logs, 1)
	for _, l := range logs {
		p.waitMetric("entpipe_lines_total", map[string]string{"source": l.name, "result": "too_long"}, time.Minute, func(v float64) bool { return v >= 1 })
	}
	write(string(changed))
	post(http.StatusOK)
	if l := logged("configuration reloaded", 3); !strings.Contains(l, "started=[] stopped=[] restarted=[]") {
		t.Errorf("reload of the running configuration: %s", l)
	}
	successful(1)
	for _, l := range logs {
		if n, err := p.metric("entpipe_lines_total", map[string]string{"source": l.name}); err != nil || n != float64(len(l.lines)) {
			t.Errorf("%s: entpipe_lines_total = %v (%v), want its %d lines, each read once", l.name, n, err, len(l.lines))
		}
	}
	// The exporter knew the added and changed sources' labels before they
	// started: none of their points was folded into "other".
	if n, err := p.metric("entpipe_label_overflows_total", map[string]string{"source": "prom"}); err == nil && n != 0 {
		t.Errorf("the exporter folded %v label values into other across the reloads", n)
	}
	p.stop(3 * time.Minute)

	compareWithImport(t, s, logs, "run reloaded 6 times (a source added, one changed, 3 refusals, the running file again) vs import")
}

// TestIntegrationRunSystemdSocket: with --web.systemd-socket, `entpipe run`
// serves on the socket it is passed by the socket-activation protocol
// (LISTEN_PID, LISTEN_FDS, descriptor 3), as systemd passes it, and binds
// nothing itself.
func TestIntegrationRunSystemdSocket(t *testing.T) {
	skipShort(t, "end-to-end: builds and runs the binary")
	s := influxtest.Start(t)
	l, _ := pageViewLogs(t)
	config := writeConfig(t, t.TempDir(), s.URL, s.Bucket, []*liveLog{l})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	socket, err := ln.(*net.TCPListener).File() // a duplicate: the socket stays bound, for the child
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	defer socket.Close()
	// sh sets LISTEN_PID to its own pid, which exec hands to entpipe.
	cmd := exec.Command("sh", "-c", `export LISTEN_PID=$$ LISTEN_FDS=1; exec "$0" "$@"`,
		entpipeBinary(t), "run", "-config", config, "--web.systemd-socket", "--log.format=logfmt")
	cmd.ExtraFiles = []*os.File{socket}
	p := startCmd(t, cmd)
	if p.addr != ln.Addr().String() {
		t.Errorf("serving on %s, want the passed socket %s", p.addr, ln.Addr())
	}
	p.waitMetric("ent_page_views_total", nil, time.Minute, func(v float64) bool { return v > 0 })
	p.stop(time.Minute)
}
