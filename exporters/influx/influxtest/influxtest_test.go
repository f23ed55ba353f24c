package influxtest_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// TestIntegrationStartWriteQuery proves the helper gives a working influxd:
// a line written through the proxy comes back through InfluxQL, and the
// server survives a stop and restart with its data, at the same URL.
func TestIntegrationStartWriteQuery(t *testing.T) {
	s := influxtest.Start(t)
	write(t, s, "m,department=92 n=42i 1585555200000000000\n")
	url := s.URL
	s.Stop()
	if _, err := post(s, "m n=1i\n"); !isRefused(err) {
		t.Errorf("write while influxd is stopped: err = %v, want connection refused", err)
	}
	s.Restart()
	if s.URL != url {
		t.Errorf("URL changed across a restart: %s, then %s", url, s.URL)
	}
	write(t, s, "m,department=78 n=7i 1585555200000000000\n")
	got := s.MustQuery(`SELECT n FROM m WHERE department = '92'`)
	if len(got) != 1 || len(got[0].Values) != 1 {
		t.Fatalf("series = %+v", got)
	}
	row := got[0].Values[0]
	if row[0] != "2020-03-30T08:00:00Z" || row[1].(interface{ String() string }).String() != "42" {
		t.Fatalf("row = %v, want [2020-03-30T08:00:00Z 42]", row)
	}
}

// TestIntegrationProxyFaults drives the proxy through each fault and back
// to normal, checking what a client sees, and that no other process can
// bind the proxy's port meanwhile: the address of the code under test stays
// the test's own whatever happens.
func TestIntegrationProxyFaults(t *testing.T) {
	s := influxtest.Start(t)
	write(t, s, "m n=1i 1\n")
	steal := func(fault string) {
		t.Helper()
		if l, err := net.Listen("tcp", s.Proxy.Addr); err == nil {
			l.Close()
			t.Errorf("%s: another listener could bind the proxy's port %s", fault, s.Proxy.Addr)
		}
	}
	steal("normal")

	// A keep-alive connection opened before the fault must not outlive it.
	keepAlive := &http.Client{Transport: &http.Transport{}}
	defer keepAlive.CloseIdleConnections()
	ping := func() error {
		resp, err := keepAlive.Get(s.URL + "/ping")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return err
	}
	if err := ping(); err != nil {
		t.Fatal(err)
	}

	s.Proxy.Refuse()
	if err := ping(); err == nil {
		t.Error("refuse: a keep-alive connection opened before still works")
	}
	if _, err := post(s, "m n=2i 2\n"); !isRefused(err) {
		t.Errorf("refuse: err = %v, want connection refused", err)
	}
	steal("refuse")

	s.Proxy.Reset()
	if _, err := post(s, "m n=3i 3\n"); err == nil || isRefused(err) {
		t.Errorf("reset: err = %v, want a reset connection", err)
	}
	steal("reset")

	s.Proxy.Hang()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/ping", nil)
	_, err := http.DefaultClient.Do(req)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hang: err = %v, want the client's deadline", err)
	}
	steal("hang")

	const delay = 150 * time.Millisecond
	s.Proxy.Slow(delay)
	start := time.Now()
	write(t, s, "m n=4i 4\n")
	if took := time.Since(start); took < 2*delay { // request and answer each wait
		t.Errorf("slow: a write took %v, want at least %v", took, 2*delay)
	}
	steal("slow")

	s.Proxy.Normal()
	write(t, s, "m n=5i 5\n")
	res := s.MustQuery(`SELECT sum(n), count(n) FROM m`)
	if got := []any{res[0].Values[0][1], res[0].Values[0][2]}; got[0].(interface{ String() string }).String() != "10" ||
		got[1].(interface{ String() string }).String() != "3" {
		t.Errorf("sum, count = %v, want 10, 3: the writes made during refuse and reset must not land", got)
	}
}

func post(s *influxtest.Server, lines string) (*http.Response, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Post(s.URL+"/write?db="+s.Database, "text/plain", strings.NewReader(lines))
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

func write(t *testing.T, s *influxtest.Server, lines string) {
	t.Helper()
	resp, err := post(s, lines)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write status %s", resp.Status)
	}
}

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
