package prom

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/entpipe/entpipe/exporters/prom/promtest"
)

// scrapeWithin fetches /metrics with the bound (2 s) as the
// client's timeout and returns how long it took.
func scrapeWithin(t *testing.T, addr string) time.Duration {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	start := time.Now()
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("/metrics did not answer within 2s: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("ent_open_visits")) {
		t.Fatalf("/metrics: %s, %v", resp.Status, err)
	}
	return time.Since(start)
}

// connMetric returns the value of one of the server's own metrics.
func connMetric(t *testing.T, s *Server, name, state string) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 8)
	s.conns.Collect(ch)
	close(ch)
	for m := range ch {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Desc().String(), `"`+name+`"`) {
			continue
		}
		if state == "" || len(pb.GetLabel()) == 1 && pb.GetLabel()[0].GetValue() == state {
			return pb.GetGauge().GetValue() + pb.GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s{state=%q}", name, state)
	return 0
}

// TestServerConnectionLimit holds twice the default limit of idle
// keep-alive connections: the server closes the longest-idle ones as new
// ones arrive, never keeps more than the limit, and serves /metrics at once.
func TestServerConnectionLimit(t *testing.T) {
	s := runTestServer(t, ServerConfig{})
	const n = 2 * DefaultMaxConnections
	clients := promtest.HoldIdle(t, s.Addrs()[0], "/-/healthy", n)
	// The server sees a connection go idle a little after the client has
	// its response, so the order may differ from the client's near the
	// boundary; slack allows for that.
	const slack = 8
	closed, open := clients.ClosedByServer(), 0
	for i, c := range closed {
		switch {
		case !c:
			open++
		case i >= n-DefaultMaxConnections+slack:
			t.Errorf("connection %d of %d closed: the longest-idle ones must go first", i+1, n)
		}
		if !c && i < n-DefaultMaxConnections-slack {
			t.Errorf("connection %d of %d still open while newer ones were closed", i+1, n)
		}
	}
	if open > DefaultMaxConnections || open < DefaultMaxConnections-2 {
		t.Errorf("%d connections open, want the newest %d (give or take the last two)", open, DefaultMaxConnections)
	}
	took := scrapeWithin(t, s.Addrs()[0])
	if got := connMetric(t, s, "entpipe_http_connections_evicted_total", ""); got < n-DefaultMaxConnections {
		t.Errorf("entpipe_http_connections_evicted_total = %v, want at least %d", got, n-DefaultMaxConnections)
	}
	if got := connMetric(t, s, "entpipe_http_max_connections", ""); got != DefaultMaxConnections {
		t.Errorf("entpipe_http_max_connections = %v", got)
	}
	t.Logf("%d idle connections held: the server kept %d, /metrics answered in %v", n, open, took)
}

// TestServerClosesSilentConnectionsAtLimit fills the limit with connections
// that never send a request: a scrape still gets through at once, instead
// of waiting for their read-header timeout (10 s).
func TestServerClosesSilentConnectionsAtLimit(t *testing.T) {
	s := runTestServer(t, ServerConfig{MaxConnections: 50})
	silent := promtest.HoldSilent(t, s.Addrs()[0], 200)
	took := scrapeWithin(t, s.Addrs()[0])
	if open := silent.Open(); open > 50 {
		t.Errorf("%d silent connections open, want at most 50", open)
	}
	t.Logf("200 silent connections against a limit of 50: /metrics answered in %v", took)
}

// TestServerClosesIdleConnections: every idle keep-alive connection is
// closed by the server once idle for IdleTimeout.
func TestServerClosesIdleConnections(t *testing.T) {
	if DefaultIdleTimeout >= 2*time.Minute {
		t.Fatalf("DefaultIdleTimeout = %v: idle connections must be closed within 2 minutes (issue 14)", DefaultIdleTimeout)
	}
	s := runTestServer(t, ServerConfig{IdleTimeout: 2 * time.Second})
	clients := promtest.HoldIdle(t, s.Addrs()[0], "/-/healthy", 200)
	if got := connMetric(t, s, "entpipe_http_connections", "idle"); got == 0 {
		t.Errorf("entpipe_http_connections{state=idle} = 0 with 200 idle connections held")
	}
	took := clients.WaitAllClosed(2 * time.Minute)
	t.Logf("200 idle connections closed by the server %v after the last request (idle timeout 2s)", took)
}

// TestServerNeverClosesBusyConnections: at the limit, a connection serving
// a request (a 1 s CPU profile) is left alone; the idle one goes instead.
func TestServerNeverClosesBusyConnections(t *testing.T) {
	s := runTestServer(t, ServerConfig{MaxConnections: 2, EnablePprof: true})
	profile := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + s.Addrs()[0] + "/debug/pprof/profile?seconds=1")
		if err != nil {
			profile <- err
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil && (resp.StatusCode != http.StatusOK || len(body) == 0) {
			err = errors.New("profile: " + resp.Status)
		}
		profile <- err
	}()
	deadline := time.Now().Add(time.Minute)
	for connMetric(t, s, "entpipe_http_connections", "active") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the profile request never became active")
		}
		time.Sleep(time.Millisecond)
	}
	clients := promtest.HoldIdle(t, s.Addrs()[0], "/-/healthy", 5)
	if closed := clients.ClosedByServer(); !closed[0] || !closed[3] || closed[4] {
		t.Errorf("closed by the server: %v, want every idle connection but the newest", closed)
	}
	if err := <-profile; err != nil {
		t.Errorf("the busy connection was disturbed: %v", err)
	}
}

// TestServerErrorLogHasNoAddresses: net/http's own errors (here a TLS
// handshake with a client speaking plain HTTP) reach the log without the
// client's address.
func TestServerErrorLogHasNoAddresses(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir)
	webConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webConfig, []byte("tls_server_config:\n  cert_file: "+certFile+"\n  key_file: "+keyFile+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logs, err := os.Create(filepath.Join(dir, "entpipe.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	e, reg := newTestExporter(t, Options{})
	write(t, e, active(0, 12))
	s, err := NewServer(ServerConfig{ListenAddresses: []string{"127.0.0.1:0"}, WebConfigFile: webConfig}, reg, nil, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, s)
	if resp, err := http.Get("http://" + s.Addrs()[0] + "/metrics"); err == nil {
		resp.Body.Close()
	}
	var line string
	deadline := time.Now().Add(time.Minute)
	for line == "" {
		if time.Now().After(deadline) {
			t.Fatal("no TLS handshake error logged")
		}
		time.Sleep(time.Millisecond)
		text, err := os.ReadFile(logs.Name())
		if err != nil {
			t.Fatal(err)
		}
		for l := range strings.Lines(string(text)) {
			if strings.Contains(l, "TLS handshake error") {
				line = l
			}
		}
	}
	if strings.Contains(line, "127.0.0.1") || !strings.Contains(line, "from <addr>") {
		t.Errorf("log shows the client's address: %s", line)
	}
}
