// Package influxtest starts a real influxd (1.8.10) for integration tests,
// the way httptest starts an HTTP server: on a loopback port, with its data
// in t.TempDir(), stopped by t.Cleanup, behind a TCP proxy the test owns
// (Proxy) whose faults are the tests' outages.
//
// The binary is $ENTPIPE_INFLUXD, else .tools/bin/influxd at the module root
// (installed by `make tools`), else influxd on $PATH. When none exists the
// test is skipped with a message, unless $ENTPIPE_INTEGRATION is "require"
// or $CI is "true": then it fails, so CI can never count a skipped
// integration test as a pass.
package influxtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/entpipe/entpipe/exporters/influx"
)

// Server is one running influxd behind a Proxy the test owns.
type Server struct {
	// URL is the proxy's HTTP base URL, e.g. http://127.0.0.1:41234: the
	// address to give the code under test. It never changes, also across
	// Stop and Restart.
	URL string
	// Proxy stands between URL and influxd: its faults (Refuse, Hang,
	// Reset, Slow) are the outages of the tests.
	Proxy *Proxy
	// Database is created at start; Bucket is its v2-compatible name.
	Database, Bucket string

	t      testing.TB
	bin    string
	dir    string
	conf   string
	direct string // influxd's own base URL, for the test's queries
	cmd    *exec.Cmd
	exited chan struct{}
}

// Require fails or skips t, per the package rules, when no influxd exists.
// It returns the binary's path.
func Require(t testing.TB) string {
	t.Helper()
	bin := findBinary()
	if bin == "" {
		msg := "influxd not found: run `make tools` or set ENTPIPE_INFLUXD"
		if os.Getenv("ENTPIPE_INTEGRATION") == "require" || os.Getenv("CI") == "true" {
			t.Fatal(msg + " (integration tests are required here)")
		}
		t.Skip(msg)
	}
	return bin
}

// Start runs influxd, waits until it answers /ping, creates the database
// "entpipe_test_<random>" and registers its shutdown with t.Cleanup.
// influxd listens on ports the kernel picks (port 0, read back from its
// log), so no other process can have taken them in between; the code under
// test talks to the Proxy in front of it. The random database name keeps
// tests apart on one influxd.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, bin: Require(t), dir: t.TempDir(), Database: fmt.Sprintf("entpipe_test_%08x", rand.Uint32())}
	s.Bucket = s.Database + "/autogen"
	s.conf = filepath.Join(s.dir, "influxdb.conf")
	conf := fmt.Sprintf(`reporting-disabled = true
bind-address = "127.0.0.1:0"
[meta]
  dir = %q
[data]
  dir = %q
  wal-dir = %q
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:0"
  log-enabled = false
  flux-enabled = true
[logging]
  format = "logfmt"
  level = "info"
[monitor]
  store-enabled = false
`, filepath.Join(s.dir, "meta"), filepath.Join(s.dir, "data"), filepath.Join(s.dir, "wal"))
	if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Proxy = NewProxy(t, "")
	s.URL = s.Proxy.URL
	s.Restart()
	t.Cleanup(s.Stop)
	if _, err := s.Query("CREATE DATABASE " + s.Database); err != nil {
		t.Fatalf("influxtest: create database: %v", err)
	}
	return s
}

// Restart starts influxd again on the same data after Stop, on a new port
// behind the same proxy (URL does not change). It waits until /ping
// answers.
func (s *Server) Restart() {
	s.t.Helper()
	logPath := filepath.Join(s.dir, "influxd.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	s.cmd = exec.Command(s.bin, "-config", s.conf)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("influxtest: start %s: %v", s.bin, err)
	}
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}, f *os.File) {
		_ = cmd.Wait()
		f.Close()
		close(done)
	}(s.cmd, s.exited, logf)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if s.direct == "" {
			s.direct = httpAddr(logPath)
		}
		if s.direct != "" {
			resp, err := http.Get(s.direct + "/ping")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusNoContent {
					s.Proxy.SetTarget(strings.TrimPrefix(s.direct, "http://"))
					return
				}
			}
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(logPath)
			s.t.Fatalf("influxtest: influxd exited at start:\n%s", log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			s.t.Fatalf("influxtest: influxd did not answer /ping at %q within 60s:\n%s", s.direct, log)
		}
	}
}

// httpAddrRe finds the HTTP listener's address in influxd's logfmt log.
var httpAddrRe = regexp.MustCompile(`msg="Listening on HTTP".* addr=(127\.0\.0\.1:[0-9]+)`)

// httpAddr returns the base URL influxd logged for its HTTP listener, or
// "" until it has.
func httpAddr(logPath string) string {
	log, err := os.ReadFile(logPath)
	if err != nil {
		return ""
	}
	if m := httpAddrRe.FindSubmatch(log); m != nil {
		return "http://" + string(m[1])
	}
	return ""
}

// Stop sends SIGTERM and waits for influxd to exit; meanwhile the proxy
// refuses connections, as the stopped server's port would (the proxy does
// not forward to the port influxd gave up: another process may take it).
// Stopping a stopped server does nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.Proxy.SetTarget("")
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd, s.direct = nil, ""
}

// Query runs InfluxQL statements against the test database and returns
// the series of every statement, in order.
func (s *Server) Query(q string) ([]influx.Series, error) {
	return s.Querier().Query(context.Background(), q)
}

// Querier returns the read-back client of the test database. It talks to
// influxd directly, so a test reads the truth whatever the proxy's fault.
func (s *Server) Querier() influx.Querier {
	return influx.Querier{URL: s.direct, Database: s.Database}
}

// DirectURL is influxd's own base URL, without the proxy: for benchmarks,
// whose figures must not include the proxy's copies on the same cores.
// It changes at Restart.
func (s *Server) DirectURL() string { return s.direct }

// CPU returns the processor time (user and system) influxd has used since
// it started, read from /proc: benchmarks report it next to their own.
func (s *Server) CPU() (time.Duration, error) {
	if s.cmd == nil {
		return 0, fmt.Errorf("influxtest: influxd is stopped")
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("influxtest: %w", err)
	}
	// Fields after the command name (which may hold spaces, within
	// parentheses): utime and stime are the 12th and 13th, in clock ticks
	// of 1/100 s on Linux.
	_, rest, _ := strings.Cut(string(stat), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("influxtest: unexpected /proc stat %q", stat)
	}
	var ticks time.Duration
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("influxtest: /proc stat: %w", err)
		}
		ticks += time.Duration(n)
	}
	return ticks * 10 * time.Millisecond, nil
}

// MustQuery is Query that fails the test on error.
func (s *Server) MustQuery(q string) []influx.Series {
	s.t.Helper()
	out, err := s.Query(q)
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

func findBinary() string {
	if b := os.Getenv("ENTPIPE_INFLUXD"); b != "" {
		return b
	}
	if dir, err := os.Getwd(); err == nil {
		for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				b := filepath.Join(dir, ".tools", "bin", "influxd")
				if _, err := os.Stat(b); err == nil {
					return b
				}
				break
			}
		}
	}
	if b, err := exec.LookPath("influxd"); err == nil && !strings.Contains(b, " ") {
		return b
	}
	return ""
}
