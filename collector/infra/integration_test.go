package infra

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// manualClock is a clock the test moves by hand, so rates have a known
// denominator. Gather reads it once per poll.
type manualClock struct{ t time.Time }

func (c *manualClock) now() time.Time          { return c.t }
func (c *manualClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func gatherOne(t *testing.T, s *Source) map[string]any {
	t.Helper()
	points, err := s.Gather(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(points) != 1 || points[0].Measurement != collector.MeasInfraLoad {
		t.Fatalf("points %v, want one infra_load point", points)
	}
	return points[0].Fields
}

// TestIntegrationNodeExporter scrapes a real node_exporter and checks its
// values against /proc read by the test: memory within 5 points of
// /proc/meminfo, load per core between two /proc/loadavg readings, CPU and
// disk ratios in [0,1], and the loopback receive rate against bytes the
// test sends itself.
func TestIntegrationNodeExporter(t *testing.T) {
	client := &http.Client{}
	url := startNodeExporter(t, client)
	clock := &manualClock{t: t0}
	cfg := testConfig(url)
	cfg.Interfaces = Interfaces{Include: "^lo$", Exclude: "^$"}
	s, err := New("host", cfg, Options{Client: client, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}

	load0, rx0 := loadPerCore(t), loopbackReceived(t)
	first := gatherOne(t, s)
	load1, mem1 := loadPerCore(t), memoryUtilization(t)
	for _, k := range []string{collector.FieldCPUUtilization, collector.FieldNetReceiveBps, collector.FieldDiskIOUtilization} {
		if v, ok := first[k]; ok {
			t.Errorf("first scrape has %s = %v; rates need two scrapes", k, v)
		}
	}
	if got := first[collector.FieldMemoryUtilization].(float64); got < mem1-0.05 || got > mem1+0.05 {
		t.Errorf("memory_utilization = %v, /proc/meminfo says %v", got, mem1)
	}
	if got := first[collector.FieldLoad1PerCore].(float64); got < min(load0, load1)-1e-9 || got > max(load0, load1)+1e-9 {
		t.Errorf("load1_per_core = %v, /proc/loadavg said %v then %v", got, load0, load1)
	}

	const sent = 4 << 20
	sendLoopback(t, sent)
	clock.advance(time.Second)
	second := gatherOne(t, s)
	rx1 := loopbackReceived(t)
	t.Logf("first scrape %v, second scrape %v", first, second)
	// One second on the test clock: the rate is the bytes received between
	// the scrapes, at least what the test sent, at most what lo received
	// from before the first scrape to after the second.
	if got := second[collector.FieldNetReceiveBps].(float64); got < sent || got > float64(rx1-rx0) {
		t.Errorf("network_receive_bytes_per_second = %v over 1 s, want within [%d, %d]", got, sent, rx1-rx0)
	}
	if v, ok := second[collector.FieldDiskIOUtilization]; ok && (v.(float64) < 0 || v.(float64) > 1) {
		t.Errorf("disk_io_utilization = %v, want within [0,1]", v)
	}
	// The CPU counters tick every 10 ms: poll until they moved.
	fields, deadline := second, time.Now().Add(10*time.Second)
	for fields[collector.FieldCPUUtilization] == nil && time.Now().Before(deadline) {
		clock.advance(time.Second)
		fields = gatherOne(t, s)
	}
	if v, ok := fields[collector.FieldCPUUtilization].(float64); !ok || v < 0 || v > 1 {
		t.Errorf("cpu_utilization = %v, want a ratio within [0,1]", fields[collector.FieldCPUUtilization])
	}
}

// TestIntegrationNginx scrapes a real nginx stub_status and checks the
// connections and requests the test itself opens and makes.
func TestIntegrationNginx(t *testing.T) {
	client := &http.Client{}
	base := startNginx(t, client)
	clock := &manualClock{t: t0}
	cfg := Config{Site: collector.Site{Department: "78", ENT: "ecollege78"}, StubStatus: []string{base + "/nginx_status"}}
	s, err := New("web", cfg, Options{Client: client, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	// Only the scraper's kept-alive connection is open.
	if got := gatherOne(t, s)[collector.FieldHTTPConnections]; got != int64(1) {
		t.Fatalf("http_connections = %v with only the scraper connected, want 1", got)
	}

	const conns = 5
	var open []net.Conn
	for range conns {
		open = append(open, keepAliveRequest(t, strings.TrimPrefix(base, "http://")))
	}
	clock.advance(time.Second)
	f := gatherOne(t, s)
	if got := f[collector.FieldHTTPConnections]; got != int64(conns+1) {
		t.Errorf("http_connections = %v with %d test connections open, want %d", got, conns, conns+1)
	}
	// Requests between the two scrapes: the test's, and the second scrape.
	if got := f[collector.FieldHTTPRequestsPerSec]; got != float64(conns+1) {
		t.Errorf("http_requests_per_second = %v over 1 s, want %d", got, conns+1)
	}
	if got := f[collector.FieldHTTPRequests]; got != int64(conns+1) {
		t.Errorf("http_requests = %v, want %d", got, conns+1)
	}

	for _, c := range open {
		c.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		clock.advance(time.Second)
		got := gatherOne(t, s)[collector.FieldHTTPConnections]
		if got == int64(1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("http_connections = %v 10 s after the test closed its connections, want 1", got)
		}
	}
}

// keepAliveRequest sends one HTTP/1.1 request on a new connection, reads
// the response and returns the connection, left open.
func keepAliveRequest(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c
}

// sendLoopback sends n bytes through a loopback TCP connection and returns
// once they are all received.
func sendLoopback(t *testing.T, n int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan int64, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer c.Close()
		m, _ := io.Copy(io.Discard, c)
		got <- m
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(c, zeros{}, n); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if m := <-got; m != n {
		t.Fatalf("loopback received %d bytes, sent %d", m, n)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// procFields returns the whitespace-separated fields of the first line of
// /proc/<name> that starts with prefix.
func procFields(t *testing.T, name, prefix string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + name)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if strings.HasPrefix(strings.TrimSpace(line), prefix) {
			return strings.Fields(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), prefix)))
		}
	}
	t.Fatalf("/proc/%s has no line starting with %q", name, prefix)
	return nil
}

func procFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func memoryUtilization(t *testing.T) float64 {
	total := procFloat(t, procFields(t, "meminfo", "MemTotal:")[0])
	avail := procFloat(t, procFields(t, "meminfo", "MemAvailable:")[0])
	return 1 - avail/total
}

// loadPerCore is /proc/loadavg's 1-minute load over the CPUs /proc/stat
// lists, as node_exporter counts them.
func loadPerCore(t *testing.T) float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	cpus := 0
	for line := range strings.Lines(string(b)) {
		if strings.HasPrefix(line, "cpu") && !strings.HasPrefix(line, "cpu ") {
			cpus++
		}
	}
	b, err = os.ReadFile("/proc/loadavg")
	if err != nil {
		t.Fatal(err)
	}
	return procFloat(t, strings.Fields(string(b))[0]) / float64(cpus)
}

func loopbackReceived(t *testing.T) int64 {
	v, err := strconv.ParseInt(procFields(t, "net/dev", "lo:")[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
