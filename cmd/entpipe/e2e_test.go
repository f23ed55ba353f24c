package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
	"github.com/entpipe/entpipe/exporters/prom"
)

// The end-to-end tests run the real entpipe binary, built once per test
// process by entpipeBinary into e2eBuild.dir, removed by TestMain.
var e2eBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if e2eBuild.dir != "" {
		os.RemoveAll(e2eBuild.dir)
	}
	os.Exit(code)
}

// entpipeBinary builds ./cmd/entpipe once and returns the binary's path.
// Only the end-to-end tests need it, so it is built on first use; it
// requires influxd like every end-to-end test (influxtest.Require).
func entpipeBinary(t testing.TB) string {
	t.Helper()
	influxtest.Require(t)
	e2eBuild.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			e2eBuild.err = fmt.Errorf("go tool not found: %w", err)
			return
		}
		e2eBuild.dir, e2eBuild.err = os.MkdirTemp("", "entpipe-e2e-")
		if e2eBuild.err != nil {
			return
		}
		e2eBuild.path = filepath.Join(e2eBuild.dir, "entpipe")
		out, err := exec.Command(goTool, "build", "-o", e2eBuild.path, ".").CombinedOutput()
		if err != nil {
			e2eBuild.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if e2eBuild.err != nil {
		t.Fatal(e2eBuild.err)
	}
	return e2eBuild.path
}

// skipShort skips an end-to-end test under -short (`make test-short`),
// unless integration tests are required (ENTPIPE_INTEGRATION=require or
// CI=true), where nothing may be skipped.
func skipShort(t testing.TB, why string) {
	t.Helper()
	if testing.Short() && os.Getenv("ENTPIPE_INTEGRATION") != "require" && os.Getenv("CI") != "true" {
		t.Skip(why)
	}
}

// runProc is one `entpipe run` process listening on a free loopback port
// (or its pipeline run in this process by startServe: no cmd).
type runProc struct {
	t      testing.TB
	cmd    *exec.Cmd
	addr   string // host:port of /metrics
	log    string // path of its stderr
	exited chan struct{}
	err    error // result of Wait, set before exited is closed
}

var listenRE = regexp.MustCompile(`msg="entpipe running".* metrics=http://(\S+)/metrics`)

// startRun starts `entpipe run -config config` on 127.0.0.1:0 with the
// flags extra, learns the address from its start-up log and waits until
// /-/ready answers 200. The process is killed when the test ends if still
// running.
func startRun(t testing.TB, config string, extra ...string) *runProc {
	t.Helper()
	args := append([]string{"run", "-config", config, "-web.listen-address", "127.0.0.1:0", "-shutdown-timeout", "2m"}, extra...)
	return startCmd(t, exec.Command(entpipeBinary(t), args...))
}

// startCmd starts cmd, an `entpipe run` however launched, as startRun does.
func startCmd(t testing.TB, cmd *exec.Cmd) *runProc {
	t.Helper()
	logf, err := os.CreateTemp(t.TempDir(), "run-*.log")
	if err != nil {
		t.Fatal(err)
	}
	p := &runProc{t: t, log: logf.Name(), exited: make(chan struct{}), cmd: cmd}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		logf.Close()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			p.dumpLog()
		}
	})
	p.waitStarted()
	return p
}

// startServe runs the pipeline of `entpipe run` in this process (serve,
// without the flags, so that web may set what they do not), the way
// startRun does with the binary. It stops when the test ends.
func startServe(t testing.TB, config string, web prom.ServerConfig) *runProc {
	t.Helper()
	cfg, err := loadConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	p := &runProc{t: t, log: logf.Name(), exited: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		p.err = serve(ctx, cfg, runOptions{configPath: config, web: web, shutdownTimeout: 2 * time.Minute}, slog.New(slog.NewTextHandler(logf, nil)))
		close(p.exited)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.exited
		logf.Close()
		if t.Failed() {
			p.dumpLog()
		}
	})
	p.waitStarted()
	return p
}

// waitStarted learns the listening address from the start-up log and waits
// until /-/ready answers 200.
func (p *runProc) waitStarted() {
	p.t.Helper()
	p.waitFor("the listening address in the log", 30*time.Second, func() bool {
		b, _ := os.ReadFile(p.log)
		if m := listenRE.FindSubmatch(b); m != nil {
			p.addr = string(m[1])
		}
		return p.addr != ""
	})
	p.waitFor("/-/ready", 30*time.Second, func() bool {
		resp, err := http.Get("http://" + p.addr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// dumpLog logs the tail of the process log, without the warnings about
// the fixture's deliberately bad lines.
func (p *runProc) dumpLog() {
	b, _ := os.ReadFile(p.log)
	var keep [][]byte
	for _, l := range bytes.SplitAfter(b, []byte("\n")) {
		if !bytes.Contains(l, []byte(`msg="bad log line"`)) {
			keep = append(keep, l)
		}
	}
	b = bytes.Join(keep, nil)
	if len(b) > 8000 {
		b = append([]byte("…"), b[len(b)-8000:]...)
	}
	p.t.Logf("entpipe run log (%s):\n%s", p.log, b)
}

// waitFor polls ok until it holds and fails the test when it does not.
func (p *runProc) waitFor(what string, timeout time.Duration, ok func() bool) {
	p.t.Helper()
	if err := p.poll(timeout, ok); err != nil {
		p.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// poll calls ok every 5 ms until it holds (nil), the process exits or
// timeout passes.
func (p *runProc) poll(timeout time.Duration, ok func() bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !ok() {
		select {
		case <-p.exited:
			return fmt.Errorf("entpipe run exited: %v", p.err)
		case <-deadline.C:
			return fmt.Errorf("timed out after %v", timeout)
		case <-tick.C:
		}
	}
	return nil
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *runProc) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatal(err)
	}
	<-p.exited
}

// stop sends SIGTERM and fails the test unless the process exits 0 within
// timeout (it has its own -shutdown-timeout of 2 minutes to deliver).
func (p *runProc) stop(timeout time.Duration) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(timeout):
		p.t.Fatalf("entpipe run did not stop within %v of SIGTERM", timeout)
	}
	if p.err != nil {
		p.t.Fatalf("entpipe run after SIGTERM: %v", p.err)
	}
}

// scrape returns the raw text of /metrics.
func (p *runProc) scrape() ([]byte, error) {
	resp, err := http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: %s", resp.Status)
	}
	return b.Bytes(), nil
}

// metric returns the sum of the samples of the counter or gauge name whose
// labels include every pair of want.
func (p *runProc) metric(name string, want map[string]string) (float64, error) {
	text, err := p.scrape()
	if err != nil {
		return 0, err
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return 0, err
	}
	mf, ok := families[name]
	if !ok {
		return 0, fmt.Errorf("no metric %s", name)
	}
	sum := 0.0
	for _, m := range mf.GetMetric() {
		if hasLabels(m, want) {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum, nil
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			n++
		}
	}
	return n == len(want)
}

// waitMetric polls metric(name, labels) until ok holds and returns the
// value that satisfied it.
func (p *runProc) waitMetric(name string, labels map[string]string, timeout time.Duration, ok func(float64) bool) float64 {
	p.t.Helper()
	var v float64
	var err error
	if perr := p.poll(timeout, func() bool {
		v, err = p.metric(name, labels)
		return err == nil && ok(v)
	}); perr != nil {
		p.t.Fatalf("waiting for %s%v: %v (last value %v, error %v)", name, labels, perr, v, err)
	}
	return v
}

// runEntpipe runs the binary with args to completion (at most timeout) and
// returns its stdout; a non-zero exit fails the test with its output.
func runEntpipe(t testing.TB, timeout time.Duration, args ...string) string {
	t.Helper()
	code, stdout, stderr := execEntpipe(t, timeout, args...)
	if code != 0 {
		t.Fatalf("entpipe %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

// execEntpipe runs the binary with args to completion and returns its exit
// code and output; not ending within timeout fails the test.
func execEntpipe(t testing.TB, timeout time.Duration, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, entpipeBinary(t), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("entpipe %s: did not end within %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), timeout, out.String(), errOut.String())
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String(), errOut.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, out.String(), errOut.String()
}
