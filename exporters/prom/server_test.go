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

	"golang.org/x/crypto/bcrypt"
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
	s := NewServer(cfg, reg, ready, slog.New(slog.NewTextHandler(t.Output(), nil)))
	reg.MustRegister(s.Collector())
	return s
}

// runTestServer serves cfg on a free loopback port until the test ends.
func runTestServer(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	cfg.ListenAddress = "127.0.0.1:0"
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
	s := testServer(t, ServerConfig{ListenAddress: "127.0.0.1:0"}, func() bool { return true })
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	resp, err := http.Get("http://" + s.Addr() + "/metrics")
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
	if _, err := http.Get("http://" + s.Addr() + "/metrics"); err == nil {
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
		{ServerConfig{ListenAddress: "127.0.0.1:0", WebConfigFile: bad}, true},
		{ServerConfig{ListenAddress: "127.0.0.1:0", WebConfigFile: filepath.Join(t.TempDir(), "missing.yml")}, true},
		{ServerConfig{ListenAddress: "127.0.0.1"}, true},
		{ServerConfig{ListenAddress: "127.0.0.1:0", MaxConnections: -1}, true},
		{ServerConfig{ListenAddress: busy.Addr().String()}, false}, // the port may be free after a restart
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
	s := testServer(t, ServerConfig{ListenAddress: "127.0.0.1:0", WebConfigFile: webConfig}, func() bool { return true })
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
		req, _ := http.NewRequest(http.MethodGet, "https://"+s.Addr()+"/metrics", nil)
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
