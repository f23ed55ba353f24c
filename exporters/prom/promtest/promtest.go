// Package promtest runs the real Prometheus tools in tests: promtool, and a
// Prometheus server on loopback with temporary storage scraping the targets
// a test gives it. The tools are the Debian packages (`make tools`).
package promtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Require returns the path of tool (prometheus, promtool…) found in PATH or
// /usr/bin. When it is missing the test is skipped, unless integration tests
// are required (ENTPIPE_INTEGRATION=require or CI=true): then it fails.
func Require(t testing.TB, tool string) string {
	t.Helper()
	if p, err := exec.LookPath(tool); err == nil {
		return p
	}
	if p := filepath.Join("/usr/bin", tool); isExecutable(p) {
		return p
	}
	msg := tool + " not found: run `make tools` (Debian package prometheus)"
	if os.Getenv("ENTPIPE_INTEGRATION") == "require" || os.Getenv("CI") == "true" {
		t.Fatal(msg + " (integration tests are required here)")
	}
	t.Skip(msg)
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Promtool runs promtool with args and returns its combined output; a
// non-zero exit fails the test with that output.
func Promtool(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(Require(t, "promtool"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Server is a running Prometheus. URL is its HTTP API base.
type Server struct {
	URL string
	t   testing.TB
}

// Start runs Prometheus on a loopback port the kernel picks (port 0, read
// back from /proc: no other process can take it between a choice and the
// bind), scraping every target (host:port serving /metrics) once a second
// in job "entpipe", waits until it is ready and stops it (SIGTERM, then
// wait) when the test ends.
func Start(t testing.TB, targets ...string) *Server {
	t.Helper()
	return StartRules(t, nil, targets...)
}

// StartRules is Start with rule files (paths), evaluated once a second:
// their alerts are listed by Alerts.
func StartRules(t testing.TB, ruleFiles []string, targets ...string) *Server {
	t.Helper()
	bin := Require(t, "prometheus")
	dir := t.TempDir()
	quoted := make([]string, len(targets))
	for i, tg := range targets {
		quoted[i] = strconv.Quote(tg)
	}
	rules := ""
	if len(ruleFiles) > 0 {
		files := make([]string, len(ruleFiles))
		for i, f := range ruleFiles {
			files[i] = strconv.Quote(f)
		}
		rules = fmt.Sprintf("rule_files: [%s]\n", strings.Join(files, ", "))
	}
	conf := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
%sscrape_configs:
  - job_name: entpipe
    static_configs:
      - targets: [%s]
`, rules, strings.Join(quoted, ", "))
	confPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+confPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:0", "--log.level=warn")
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	exited := make(chan struct{}) // closed when the process is gone
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-exited
		logFile.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logFile.Name()); err == nil {
				t.Logf("prometheus log:\n%s", b)
			}
		}
	})
	s := &Server{t: t}
	err = poll(30*time.Second, exited, func() bool {
		if s.URL == "" {
			addr := listenAddr(cmd.Process.Pid)
			if addr == "" {
				return false
			}
			s.URL = "http://" + addr
		}
		resp, err := http.Get(s.URL + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if err != nil {
		t.Fatalf("waiting for prometheus to be ready: %v", err)
	}
	return s
}

// Sample is one element of an instant vector.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// api GETs path from Prometheus's HTTP API and decodes the "data" of its
// answer into data; an answer whose status is not success is an error
// that carries Prometheus's own message.
func (s *Server) api(ctx context.Context, path string, data any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body := struct {
		Status, Error string
		Data          any `json:"data"`
	}{Data: data}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if body.Status != "success" {
		return fmt.Errorf("status %s: %s", body.Status, body.Error)
	}
	return nil
}

// Query evaluates q now through the HTTP API and returns the vector.
func (s *Server) Query(ctx context.Context, q string) ([]Sample, error) {
	var data struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	}
	if err := s.api(ctx, "/api/v1/query?query="+url.QueryEscape(q), &data); err != nil {
		return nil, fmt.Errorf("query %q: %w", q, err)
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("query %q: result type %s, not vector", q, data.ResultType)
	}
	out := make([]Sample, 0, len(data.Result))
	for _, r := range data.Result {
		str, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("query %q: value %v: %w", q, r.Value[1], err)
		}
		out = append(out, Sample{r.Metric, v})
	}
	return out, nil
}

// Metadata is what Prometheus learned of a metric family from its scrapes:
// TYPE, HELP and, from an OpenMetrics scrape, UNIT.
type Metadata struct {
	Type, Help, Unit string
}

// Metadata returns, by family name, what the scrapes said of every family
// (/api/v1/metadata). An OpenMetrics counter's family name has no _total.
func (s *Server) Metadata(ctx context.Context) (map[string][]Metadata, error) {
	var data map[string][]Metadata
	if err := s.api(ctx, "/api/v1/metadata", &data); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	return data, nil
}

// WaitFor polls q until it returns exactly one sample equal to want, and
// fails the test with the last result after timeout.
func (s *Server) WaitFor(q string, want float64, timeout time.Duration) {
	s.t.Helper()
	var last []Sample
	var lastErr error
	err := poll(timeout, nil, func() bool {
		last, lastErr = s.Query(context.Background(), q)
		return lastErr == nil && len(last) == 1 && last[0].Value == want
	})
	if err != nil {
		s.t.Fatalf("waiting for %s == %v: %v; last result %v, error %v", q, want, err, last, lastErr)
	}
}

// Alert is one alert of the rules, as the alerts API lists it.
type Alert struct {
	Labels map[string]string
	State  string // pending or firing
}

// Alerts lists the alerts of the rule files that are pending or firing.
func (s *Server) Alerts(ctx context.Context) ([]Alert, error) {
	var data struct {
		Alerts []Alert `json:"alerts"`
	}
	if err := s.api(ctx, "/api/v1/alerts", &data); err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return data.Alerts, nil
}

// poll calls ok every 100 ms until it is true (nil), the process exits or
// timeout passes.
func poll(timeout time.Duration, exited <-chan struct{}, ok func() bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !ok() {
		select {
		case <-exited:
			return errors.New("prometheus exited (see its log below)")
		case <-deadline.C:
			return fmt.Errorf("timed out after %v", timeout)
		case <-tick.C:
		}
	}
	return nil
}

// listenAddr returns the IPv4 address process pid listens on, read from
// /proc (its listening sockets' inodes among its file descriptors), or ""
// while it listens on none.
func listenAddr(pid int) string {
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return ""
	}
	sockets := map[string]bool{}
	for _, fd := range fds {
		if l, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil {
			if inode, ok := strings.CutPrefix(l, "socket:["); ok {
				sockets[strings.TrimSuffix(inode, "]")] = true
			}
		}
	}
	table, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/tcp", pid))
	if err != nil {
		return ""
	}
	// sl local_address rem_address st … inode, addresses as hex ip:port
	// (the IP in host byte order), st 0A = LISTEN.
	for _, line := range strings.Split(string(table), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] != "0A" || !sockets[f[9]] {
			continue
		}
		ipHex, portHex, _ := strings.Cut(f[1], ":")
		ip, err1 := strconv.ParseUint(ipHex, 16, 32)
		port, err2 := strconv.ParseUint(portHex, 16, 16)
		if err1 == nil && err2 == nil {
			return fmt.Sprintf("%d.%d.%d.%d:%d", byte(ip), byte(ip>>8), byte(ip>>16), byte(ip>>24), port)
		}
	}
	return ""
}
