package prom

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/entpipe/entpipe/collector"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func testServer(t *testing.T, cfg ServerConfig, ready func() bool) *Server {
	t.Helper()
	e, reg := newTestExporter(t, Options{})
	write(t, e, active(0, 12))
	s, err := NewServer(cfg, reg, ready, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runTestServer serves cfg on a free loopback port until the test ends.
func runTestServer(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	cfg.ListenAddresses = []string{"127.0.0.1:0"}
	s := testServer(t, cfg, nil)
	serveUntilCleanup(t, s)
	return s
}

// serveUntilCleanup runs s until the test ends, when Run must return nil.
func serveUntilCleanup(t *testing.T, s *Server) {
	t.Helper()
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v after cancel, want nil", err)
		}
	})
}

func TestServerRoutes(t *testing.T) {
	var ready atomic.Bool
	h := testServer(t, ServerConfig{}, ready.Load).Handler()
	check := func(path string, wantCode int, wantBody string) {
		t.Helper()
		code, body := get(t, h, path)
		if code != wantCode || !strings.Contains(body, wantBody) {
			t.Errorf("GET %s = %d %q, want %d containing %q", path, code, body, wantCode, wantBody)
		}
	}
	check("/metrics", 200, `ent_open_visits{department="92",ent="ent92"} 12`)
	check("/-/healthy", 200, "healthy")
	check("/-/ready", 503, "not ready")
	ready.Store(true)
	check("/-/ready", 200, "ready")
	check("/", 200, `<a href="metrics">`)
	check("/debug/pprof/", 404, "")
	check("/nowhere", 404, "")

	pp := testServer(t, ServerConfig{EnablePprof: true}, ready.Load).Handler()
	if code, body := get(t, pp, "/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("pprof enabled: GET /debug/pprof/ = %d", code)
	}
	if _, body := get(t, pp, "/"); !strings.Contains(body, "debug/pprof/") {
		t.Error("landing page does not link pprof")
	}
}

func TestServerRunAndGracefulShutdown(t *testing.T) {
	s := testServer(t, ServerConfig{ListenAddresses: []string{"127.0.0.1:0"}}, func() bool { return true })
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	resp, err := http.Get("http://" + s.Addrs()[0] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "ent_open_visits") {
		t.Errorf("scrape: %s", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v after cancel, want nil", err)
	}
	if _, err := http.Get("http://" + s.Addrs()[0] + "/metrics"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

// TestServerListenErrors: Listen reports every problem, and those that a
// restart cannot fix match ErrInvalidConfig (entpipe run exits 2 on them).
func TestServerListenErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(bad, []byte("tls_server_config:\n  cert_file: /nonexistent.crt\n  nonsense: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, c := range []struct {
		cfg     ServerConfig
		invalid bool
	}{
		{ServerConfig{ListenAddresses: []string{"127.0.0.1:0"}, WebConfigFile: bad}, true},
		{ServerConfig{ListenAddresses: []string{"127.0.0.1:0"}, WebConfigFile: filepath.Join(t.TempDir(), "missing.yml")}, true},
		{ServerConfig{ListenAddresses: []string{"127.0.0.1"}}, true},
		{ServerConfig{ListenAddresses: []string{"127.0.0.1:0"}, MaxConnections: -1}, true},
		{ServerConfig{ListenAddresses: []string{busy.Addr().String()}}, false}, // the port may be free after a restart
	} {
		err := testServer(t, c.cfg, nil).Run(t.Context())
		if err == nil || errors.Is(err, ErrInvalidConfig) != c.invalid {
			t.Errorf("Run(%+v) = %v, want an error, matching ErrInvalidConfig: %v", c.cfg, err, c.invalid)
		}
	}
}

// TestServerTLSAndBasicAuth serves through a Prometheus web config file
// with a self-signed certificate and one bcrypt user.
func TestServerTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	conf := "tls_server_config:\n  cert_file: " + certFile + "\n  key_file: " + keyFile +
		"\nbasic_auth_users:\n  prometheus: " + string(hash) + "\n"
	if err := os.WriteFile(webConfig, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s := testServer(t, ServerConfig{ListenAddresses: []string{"127.0.0.1:0"}, WebConfigFile: webConfig}, func() bool { return true })
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	do := func(user, pass string) int {
		req, _ := http.NewRequest(http.MethodGet, "https://"+s.Addrs()[0]+"/metrics", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := do("prometheus", "s3cret"); code != 200 {
		t.Errorf("good credentials: %d", code)
	}
	if code := do("prometheus", "wrong"); code != 401 {
		t.Errorf("bad password: %d, want 401", code)
	}
	if code := do("", ""); code != 401 {
		t.Errorf("no credentials: %d, want 401", code)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "entpipe-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	for path, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServerLifecycleAndTelemetryPath: /-/reload answers as Prometheus's
// lifecycle API does (405 for GET, 403 without --web.enable-lifecycle, the
// reload's error as a 500), and the metrics move to the telemetry path,
// which TelemetryPath reports (the default when unset).
func TestServerLifecycleAndTelemetryPath(t *testing.T) {
	do := func(h http.Handler, method, path string) (int, string) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec.Code, rec.Body.String()
	}
	check := func(h http.Handler, method, path string, wantCode int, wantBody string) {
		t.Helper()
		if code, body := do(h, method, path); code != wantCode || !strings.Contains(body, wantBody) {
			t.Errorf("%s %s = %d %q, want %d containing %q", method, path, code, body, wantCode, wantBody)
		}
	}
	offServer := testServer(t, ServerConfig{}, nil)
	off := offServer.Handler()
	check(off, http.MethodPost, "/-/reload", 403, "Lifecycle API is not enabled.")
	check(off, http.MethodGet, "/-/reload", 405, "Only POST or PUT requests allowed.")

	var reloads atomic.Int64
	fail := errors.New("invalid config entpipe.yaml (1 problem):\nsources[0] \"ent92\": entlog.paths: must list at least one file")
	onServer := testServer(t, ServerConfig{TelemetryPath: "/entpipe/metrics", Reload: func(context.Context) error {
		if reloads.Add(1) == 2 {
			return fail
		}
		return nil
	}}, nil)
	on := onServer.Handler()
	if offServer.TelemetryPath() != DefaultTelemetryPath || onServer.TelemetryPath() != "/entpipe/metrics" {
		t.Errorf("TelemetryPath() = %q and %q, want %q and /entpipe/metrics", offServer.TelemetryPath(), onServer.TelemetryPath(), DefaultTelemetryPath)
	}
	check(on, http.MethodPost, "/-/reload", 200, "configuration reloaded")
	check(on, http.MethodPut, "/-/reload", 500, "failed to reload the configuration: "+fail.Error())
	check(on, http.MethodGet, "/-/reload", 405, "")
	if reloads.Load() != 2 {
		t.Errorf("%d reloads, want 2", reloads.Load())
	}
	check(on, http.MethodGet, "/entpipe/metrics", 200, `ent_open_visits{department="92",ent="ent92"} 12`)
	check(on, http.MethodGet, "/metrics", 404, "")
	check(on, http.MethodGet, "/", 200, `<a href="entpipe/metrics">`)
	for _, bad := range []string{"metrics", "/", "/-/metrics"} {
		if _, err := NewServer(ServerConfig{TelemetryPath: bad}, prometheus.NewRegistry(), nil, slog.New(slog.DiscardHandler)); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("telemetry path %q: %v, want ErrInvalidConfig", bad, err)
		}
	}
}

// TestServerOpenMetrics: a scraper asking for OpenMetrics gets it (with the
// units of the table), others the text format; the handler counts its
// scrapes (promhttp_metric_handler_requests_total).
func TestServerOpenMetrics(t *testing.T) {
	e, reg := newTestExporter(t, Options{})
	write(t, e, collector.Point{Measurement: collector.MeasInfraLoad, Time: t0,
		Tags:   map[string]string{"department": "92", "ent": "ent92", "host": "front1"},
		Fields: map[string]any{collector.FieldCPUUtilization: 0.5, collector.FieldHTTPRequests: int64(30)}})
	s, err := NewServer(ServerConfig{}, reg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	scrape := func(accept string) (string, string) {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec.Header().Get("Content-Type"), rec.Body.String()
	}
	ctype, body := scrape("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
	for _, want := range []string{"# TYPE infra_cpu_utilization_ratio gauge\n# UNIT infra_cpu_utilization_ratio ratio\n",
		"# TYPE infra_http_requests counter\n", "infra_http_requests_total{department=\"92\",ent=\"ent92\",host=\"front1\"} 30.0\n",
		"# TYPE entpipe_http_connections_evicted counter\n"} {
		if !strings.HasPrefix(ctype, "application/openmetrics-text") || !strings.HasSuffix(body, "# EOF\n") || !strings.Contains(body, want) {
			t.Errorf("OpenMetrics scrape (%s) without %q:\n%s", ctype, want, body)
		}
	}
	ctype, body = scrape("text/plain")
	if !strings.HasPrefix(ctype, "text/plain") || strings.Contains(body, "# EOF") || strings.Contains(body, "# UNIT") ||
		!strings.Contains(body, `promhttp_metric_handler_requests_total{code="200"} 1`) {
		t.Errorf("text scrape: %s\n%s", ctype, body)
	}
}

// TestServerMaxRequests: beyond MaxRequests scrapes in flight, a scrape gets
// 503 at once.
func TestServerMaxRequests(t *testing.T) {
	e, reg := newTestExporter(t, Options{})
	write(t, e, active(0, 12))
	entered, release := make(chan struct{}), make(chan struct{})
	reg.MustRegister(blockingCollector{entered, release})
	s, err := NewServer(ServerConfig{MaxRequests: 1}, reg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan int)
	go func() { code, _ := get(t, s.Handler(), "/metrics"); first <- code }()
	<-entered
	if code, body := get(t, s.Handler(), "/metrics"); code != http.StatusServiceUnavailable || !strings.Contains(body, "Limit of concurrent requests reached (1)") {
		t.Errorf("second scrape while one is in flight: %d %q, want 503", code, body)
	}
	close(release)
	if code := <-first; code != 200 {
		t.Errorf("first scrape: %d", code)
	}
}

// blockingCollector's first Collect signals entered and waits for release.
type blockingCollector struct{ entered, release chan struct{} }

func (blockingCollector) Describe(chan<- *prometheus.Desc) {}
func (b blockingCollector) Collect(chan<- prometheus.Metric) {
	select {
	case <-b.release:
	default:
		close(b.entered)
		<-b.release
	}
}

// TestServerSeveralListenAddresses: every address serves the same routes,
// under one connection limit.
func TestServerSeveralListenAddresses(t *testing.T) {
	s := testServer(t, ServerConfig{ListenAddresses: []string{"127.0.0.1:0", "[::1]:0"}, MaxConnections: 7}, nil)
	serveUntilCleanup(t, s)
	addrs := s.Addrs()
	if len(addrs) != 2 {
		t.Fatalf("Addrs() = %v, want two", addrs)
	}
	for _, a := range addrs {
		resp, err := http.Get("http://" + a + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "entpipe_http_max_connections 7\n") {
			t.Errorf("%s/metrics: %s\n%s", a, resp.Status, body)
		}
	}
}
