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
// allocations" page before registering it. It listens on every interface,
// as exporters do: Prometheus scrapes from another host. Restrict it with a
// host (127.0.0.1:9489), a firewall, or TLS and basic auth in the web
// configuration file.
const DefaultListenAddress = ":9489"

// DefaultMaxConnections bounds the connections kept open, as Prometheus's
// own -web.max-connections does (same default): a scraper needs one or two.
const DefaultMaxConnections = 512

// DefaultIdleTimeout closes keep-alive connections idle for that long. It
// is longer than the usual scrape interval (15 s to 1 min), so Prometheus
// keeps its connection between scrapes, and well under 2 minutes.
const DefaultIdleTimeout = 90 * time.Second

// Timeouts of a request. A client has readHeaderTimeout to send its request
// headers after connecting (a silent connection is closed then) and
// readTimeout for the whole request; writeTimeout bounds the response,
// from the end of the headers: a scrape takes milliseconds, and
// /debug/pprof/profile?seconds=N needs N below it (pprof checks).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = time.Minute
	maxHeaderBytes    = 64 << 10
)

// shutdownTimeout bounds the graceful shutdown of in-flight scrapes.
const shutdownTimeout = 5 * time.Second

// ErrInvalidConfig marks Listen errors that restarting cannot fix: an
// invalid web configuration file or listen address, a bad limit.
var ErrInvalidConfig = errors.New("invalid web configuration")

// ServerConfig says how to serve: the flags -web.listen-address,
// -web.config.file, -web.enable-pprof and -web.max-connections. Zero
// values mean the defaults.
type ServerConfig struct {
	// ListenAddress is host:port; ":0" picks a free port (see Addr).
	ListenAddress string
	// WebConfigFile is a Prometheus web configuration file (TLS, basic
	// auth), as read by exporter-toolkit; empty serves plain HTTP.
	WebConfigFile string
	// EnablePprof mounts net/http/pprof under /debug/pprof/.
	EnablePprof bool
	// MaxConnections bounds the open connections (DefaultMaxConnections);
	// see connLimiter for what happens at the limit.
	MaxConnections int
	// IdleTimeout closes keep-alive connections idle for that long
	// (DefaultIdleTimeout).
	IdleTimeout time.Duration
}

// Server serves a Prometheus registry with the usual exporter endpoints:
// /metrics, /-/healthy (always 200 while serving), /-/ready (503 until
// ready() is true) and a landing page. A Server runs once.
type Server struct {
	cfg     ServerConfig
	handler http.Handler
	log     *slog.Logger
	conns   *connLimiter

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
	if cfg.MaxConnections == 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
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
	return &Server{cfg: cfg, handler: r, log: log, conns: newConnLimiter(cfg.MaxConnections, log)}
}

// Handler returns the routes, for tests and for embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Collector returns the server's own metrics: connections open by state,
// the limit, and the connections closed to make room
// (entpipe_http_connections*). Register it on the served registry.
func (s *Server) Collector() prometheus.Collector { return s.conns }

// Listen checks the web configuration file and binds the listen address,
// so that errors surface before anything else starts and Addr is known.
// Run calls it when it has not been called. Errors that restarting cannot
// fix match ErrInvalidConfig.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return nil
	}
	if s.cfg.MaxConnections < 0 || s.cfg.IdleTimeout < 0 {
		return fmt.Errorf("%w: max connections (%d) and idle timeout (%s) must not be negative", ErrInvalidConfig, s.cfg.MaxConnections, s.cfg.IdleTimeout)
	}
	if s.cfg.WebConfigFile != "" {
		if err := web.Validate(s.cfg.WebConfigFile); err != nil {
			return fmt.Errorf("%w: web config %s: %w", ErrInvalidConfig, s.cfg.WebConfigFile, err)
		}
	}
	ln, err := net.Listen("tcp", s.cfg.ListenAddress)
	var addrErr *net.AddrError
	if errors.As(err, &addrErr) {
		return fmt.Errorf("%w: listen %s: %w", ErrInvalidConfig, s.cfg.ListenAddress, err)
	}
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.ListenAddress, err)
	}
	s.conns.Listener = ln
	s.ln = s.conns
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
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnState:         s.conns.track,
		ErrorLog:          serverErrorLog(s.log),
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
