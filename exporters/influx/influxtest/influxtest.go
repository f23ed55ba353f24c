// Package influxtest starts a real influxd (1.8.10) for integration tests,
// the way httptest starts an HTTP server: on a free loopback port, with its
// data in t.TempDir(), stopped by t.Cleanup.
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
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/entpipe/entpipe/exporters/influx"
)

// Server is one running influxd.
type Server struct {
	// URL is the HTTP base URL, e.g. http://127.0.0.1:41234.
	URL string
	// Database is created at start; Bucket is its v2-compatible name.
	Database, Bucket string

	t      testing.TB
	bin    string
	dir    string
	conf   string
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
// "entpipe_test_<random>" and registers its shutdown with t.Cleanup. The
// random name isolates tests: a process left writing to a port whose
// influxd another test stopped (an outage test) cannot write into the
// database of the next influxd that happens to get that port.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, bin: Require(t), dir: t.TempDir(), Database: fmt.Sprintf("entpipe_test_%08x", rand.Uint32())}
	s.Bucket = s.Database + "/autogen"
	httpPort, rpcPort := freePort(t), freePort(t)
	s.URL = fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	s.conf = filepath.Join(s.dir, "influxdb.conf")
	conf := fmt.Sprintf(`reporting-disabled = true
bind-address = "127.0.0.1:%d"
[meta]
  dir = %q
[data]
  dir = %q
  wal-dir = %q
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:%d"
  log-enabled = false
  flux-enabled = true
[logging]
  level = "warn"
[monitor]
  store-enabled = false
`, rpcPort, filepath.Join(s.dir, "meta"), filepath.Join(s.dir, "data"), filepath.Join(s.dir, "wal"), httpPort)
	if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	t.Cleanup(s.Stop)
	if _, err := s.Query("CREATE DATABASE " + s.Database); err != nil {
		t.Fatalf("influxtest: create database: %v", err)
	}
	return s
}

// Restart starts influxd again on the same port and data after Stop (for
// outage tests). It waits until /ping answers.
func (s *Server) Restart() {
	s.t.Helper()
	logf, err := os.OpenFile(filepath.Join(s.dir, "influxd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
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
		resp, err := http.Get(s.URL + "/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent {
				return
			}
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "influxd.log"))
			s.t.Fatalf("influxtest: influxd exited at start:\n%s", log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("influxtest: influxd did not answer /ping at %s within 60s", s.URL)
		}
	}
}

// Stop sends SIGTERM and waits for influxd to exit. Stopping a stopped
// server does nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Query runs InfluxQL statements against the test database and returns
// the series of every statement, in order.
func (s *Server) Query(q string) ([]influx.Series, error) {
	return s.Querier().Query(context.Background(), q)
}

// Querier returns the read-back client of the test database.
func (s *Server) Querier() influx.Querier {
	return influx.Querier{URL: s.URL, Database: s.Database}
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

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
