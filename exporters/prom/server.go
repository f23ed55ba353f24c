package prom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
)

// DefaultListenAddress is where entpipe serves /metrics unless
// -web.listen-address says otherwise: a port in the exporters' 9100-9999
// range that no exporter we run (node_exporter 9100, Prometheus 9090,
// Alertmanager 9093) uses. Check the Prometheus wiki's "default port
// allocations" page before registering it.
const DefaultListenAddress = ":9489"

// shutdownTimeout bounds the graceful shutdown of in-flight scrapes.
const shutdownTimeout = 5 * time.Second

// ServerConfig says how to serve: the flags -web.listen-address,
// -web.config.file and -web.enable-pprof.
type ServerConfig struct {
	// ListenAddress is host:port; ":0" picks a free port (see Addr).
	ListenAddress string
	// WebConfigFile is a Prometheus web configuration file (TLS, basic
	// auth), as read by exporter-toolkit; empty serves plain HTTP.
	WebConfigFile string
	// EnablePprof mounts net/http/pprof under /debug/pprof/.
	EnablePprof bool
}

// Server serves a Prometheus registry with the usual exporter endpoints:
// /metrics, /-/healthy (always 200 while serving), /-/ready (503 until
// ready() is true) and a landing page. A Server runs once.
type Server struct {
	cfg     ServerConfig
	handler http.Handler
	log     *slog.Logger

	mu sync.Mutex
	ln net.Listener
}

// NewServer returns a Server for gatherer. ready reports whether sources and
// sinks are up; it is called on every /-/ready request and must be safe for
// concurrent use (nil means always ready).
func NewServer(cfg ServerConfig, gatherer prometheus.Gatherer, ready func() bool, log *slog.Logger) *Server {
	if ready == nil {
		ready = func() bool { return true }
	}
	r := mux.NewRouter()
	r.Handle("/metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	})).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "entpipe is healthy.")
	}).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !ready() {
			http.Error(w, "entpipe is not ready: sources or sinks are starting.", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "entpipe is ready.")
	}).Methods(http.MethodGet, http.MethodHead)
	if cfg.EnablePprof {
		r.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		r.HandleFunc("/debug/pprof/profile", pprof.Profile)
		r.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		r.HandleFunc("/debug/pprof/trace", pprof.Trace)
		r.PathPrefix("/debug/pprof/").HandlerFunc(pprof.Index)
	}
	page := landingPage(cfg.EnablePprof)
	r.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}).Methods(http.MethodGet, http.MethodHead)
	return &Server{cfg: cfg, handler: r, log: log}
}

// Handler returns the routes, for tests and for embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Listen checks the web configuration file and binds the listen address,
// so that errors surface before anything else starts and Addr is known.
// Run calls it when it has not been called.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return nil
	}
	if s.cfg.WebConfigFile != "" {
		if err := web.Validate(s.cfg.WebConfigFile); err != nil {
			return fmt.Errorf("web config %s: %w", s.cfg.WebConfigFile, err)
		}
	}
	ln, err := net.Listen("tcp", s.cfg.ListenAddress)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.ListenAddress, err)
	}
	s.ln = ln
	return nil
}

// Addr returns the bound address (host:port), or "" before Listen.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Run serves until ctx is done, then shuts down gracefully: in-flight
// scrapes get shutdownTimeout to finish. It returns nil after a clean
// shutdown.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	addrs := []string{ln.Addr().String()}
	systemd := false
	flags := &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &systemd, WebConfigFile: &s.cfg.WebConfigFile}
	served := make(chan error, 1)
	go func() { served <- web.Serve(ln, srv, flags, s.log) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	shutdownErr := srv.Shutdown(sctx)
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	if shutdownErr != nil {
		return fmt.Errorf("shutdown %s: %w", ln.Addr(), shutdownErr)
	}
	return nil
}

// landingPage is the HTML of "/": links to every endpoint.
func landingPage(pprof bool) string {
	links := []string{
		`<li><a href="metrics">/metrics</a>: métriques Prometheus (ENT, Enseigno, infrastructure, entpipe)</li>`,
		`<li><a href="-/healthy">/-/healthy</a>: le processus répond</li>`,
		`<li><a href="-/ready">/-/ready</a>: sources et destinations démarrées</li>`,
	}
	if pprof {
		links = append(links, `<li><a href="debug/pprof/">/debug/pprof/</a>: profilage Go</li>`)
	}
	return `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>entpipe</title></head>
<body><h1>entpipe</h1>
<p>Usage et charge des ENT des Hauts-de-Seine et des Yvelines.</p>
<ul>
` + strings.Join(links, "\n") + `
</ul></body></html>
`
}
