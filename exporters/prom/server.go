package prom

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
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

// DefaultTelemetryPath is where the metrics are served.
const DefaultTelemetryPath = "/metrics"

// DefaultMaxRequests bounds the scrapes served at once, as node_exporter's
// --web.max-requests does (same default): beyond it a scrape gets 503 at
// once instead of piling up.
const DefaultMaxRequests = 40

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
// invalid web configuration file or listen address, a bad limit, no socket
// from systemd.
var ErrInvalidConfig = errors.New("invalid web configuration")

// ServerConfig says how to serve: the --web.* flags of `entpipe run`, named
// as exporter-toolkit and Prometheus name them. Zero values mean the
// defaults, except MaxRequests.
type ServerConfig struct {
	// ListenAddresses are the host:port addresses to serve on, each with
	// the same routes (default: DefaultListenAddress); ":0" picks a free
	// port (see Addrs).
	ListenAddresses []string
	// SystemdSocket serves on the sockets systemd passes (socket
	// activation, LISTEN_FDS) instead of ListenAddresses.
	SystemdSocket bool
	// WebConfigFile is a Prometheus web configuration file (TLS, basic
	// auth), as read by exporter-toolkit; empty serves plain HTTP.
	WebConfigFile string
	// TelemetryPath is where the metrics are served (DefaultTelemetryPath).
	TelemetryPath string
	// MaxRequests bounds the scrapes served at once, more get 503; 0 sets
	// no bound (the flag's default is DefaultMaxRequests).
	MaxRequests int
	// EnablePprof mounts net/http/pprof under /debug/pprof/.
	EnablePprof bool
	// MaxConnections bounds the connections open on all listeners together
	// (DefaultMaxConnections); see connLimiter for what happens at the limit.
	MaxConnections int
	// IdleTimeout closes keep-alive connections idle for that long
	// (DefaultIdleTimeout).
	IdleTimeout time.Duration
	// Reload, when set (--web.enable-lifecycle), is what POST or PUT
	// /-/reload calls: it applies the configuration file again, and its
	// error is the 500 answer's body. Nil answers 403, as Prometheus does
	// without the flag.
	Reload func(ctx context.Context) error
}

// Server serves a Prometheus registry with the usual exporter endpoints:
// the metrics (OpenMetrics or the text format, as the scraper asks),
// /-/healthy (always 200 while serving), /-/ready (503 until ready() is
// true), /-/reload and a landing page. A Server runs once.
type Server struct {
	cfg     ServerConfig
	handler http.Handler
	log     *slog.Logger
	conns   *connLimiter

	mu  sync.Mutex
	lns []net.Listener
}

// NewServer returns a Server for reg, on which it registers its own
// metrics: the handler's (promhttp_metric_handler_*) and the connections'
// (entpipe_http_connections*). ready reports whether sources and sinks are
// up; it is called on every /-/ready request and must be safe for
// concurrent use (nil means always ready).
func NewServer(cfg ServerConfig, reg *prometheus.Registry, ready func() bool, log *slog.Logger) (*Server, error) {
	if ready == nil {
		ready = func() bool { return true }
	}
	if len(cfg.ListenAddresses) == 0 {
		cfg.ListenAddresses = []string{DefaultListenAddress}
	}
	if cfg.TelemetryPath == "" {
		cfg.TelemetryPath = DefaultTelemetryPath
	}
	if cfg.MaxConnections == 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if !strings.HasPrefix(cfg.TelemetryPath, "/") || cfg.TelemetryPath == "/" || strings.HasPrefix(cfg.TelemetryPath, "/-/") {
		return nil, fmt.Errorf("%w: telemetry path %q must start with / and be neither / nor under /-/", ErrInvalidConfig, cfg.TelemetryPath)
	}
	s := &Server{cfg: cfg, log: log, conns: newConnLimiter(cfg.MaxConnections, log)}
	if err := reg.Register(s.conns); err != nil {
		return nil, fmt.Errorf("prom: register the server's metrics: %w", err)
	}
	r := mux.NewRouter()
	r.Handle(cfg.TelemetryPath, promhttp.InstrumentMetricHandler(reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            reg,
		EnableOpenMetrics:   true,
		MaxRequestsInFlight: cfg.MaxRequests,
	}))).Methods(http.MethodGet, http.MethodHead)
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
	r.HandleFunc("/-/reload", s.reload).Methods(http.MethodPost, http.MethodPut)
	r.HandleFunc("/-/reload", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "Only POST or PUT requests allowed.", http.StatusMethodNotAllowed)
	})
	if cfg.EnablePprof {
		r.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		r.HandleFunc("/debug/pprof/profile", pprof.Profile)
		r.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		r.HandleFunc("/debug/pprof/trace", pprof.Trace)
		r.PathPrefix("/debug/pprof/").HandlerFunc(pprof.Index)
	}
	page := landingPage(cfg)
	r.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}).Methods(http.MethodGet, http.MethodHead)
	s.handler = r
	return s, nil
}

// reload serves POST /-/reload: Prometheus's lifecycle API.
func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Reload == nil {
		http.Error(w, "Lifecycle API is not enabled.", http.StatusForbidden)
		return
	}
	if err := s.cfg.Reload(r.Context()); err != nil {
		http.Error(w, "failed to reload the configuration: "+err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, "configuration reloaded.")
}

// Handler returns the routes, for tests and for embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// TelemetryPath returns the path the metrics are served under
// (ServerConfig.TelemetryPath, or its default).
func (s *Server) TelemetryPath() string { return s.cfg.TelemetryPath }

// Listen checks the web configuration file and binds the listen addresses
// (or takes systemd's sockets), so that errors surface before anything else
// starts and Addrs is known. Run calls it when it has not been called.
// Errors that restarting cannot fix match ErrInvalidConfig.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lns != nil {
		return nil
	}
	if s.cfg.MaxConnections < 0 || s.cfg.IdleTimeout < 0 || s.cfg.MaxRequests < 0 {
		return fmt.Errorf("%w: max connections (%d), max requests (%d) and idle timeout (%s) must not be negative",
			ErrInvalidConfig, s.cfg.MaxConnections, s.cfg.MaxRequests, s.cfg.IdleTimeout)
	}
	if s.cfg.WebConfigFile != "" {
		if err := web.Validate(s.cfg.WebConfigFile); err != nil {
			return fmt.Errorf("%w: web config %s: %w", ErrInvalidConfig, s.cfg.WebConfigFile, err)
		}
	}
	lns, err := s.listeners()
	if err != nil {
		return err
	}
	for _, ln := range lns {
		s.lns = append(s.lns, s.conns.wrap(ln))
	}
	return nil
}

// listeners binds every listen address, or returns the sockets systemd
// passed (as exporter-toolkit's --web.systemd-socket does).
func (s *Server) listeners() ([]net.Listener, error) {
	if s.cfg.SystemdSocket {
		passed, err := activation.Listeners()
		if err != nil {
			return nil, fmt.Errorf("%w: systemd socket activation: %w", ErrInvalidConfig, err)
		}
		lns := slices.DeleteFunc(passed, func(ln net.Listener) bool { return ln == nil })
		if len(lns) == 0 {
			return nil, fmt.Errorf("%w: --web.systemd-socket, but systemd passed no listening socket (LISTEN_FDS)", ErrInvalidConfig)
		}
		return lns, nil
	}
	var lns []net.Listener
	for _, addr := range s.cfg.ListenAddresses {
		ln, err := net.Listen("tcp", addr)
		var addrErr *net.AddrError
		if errors.As(err, &addrErr) {
			err = fmt.Errorf("%w: listen %s: %w", ErrInvalidConfig, addr, err)
		} else if err != nil {
			err = fmt.Errorf("listen %s: %w", addr, err)
		}
		if err != nil {
			for _, l := range lns {
				_ = l.Close()
			}
			return nil, err
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// Addrs returns the bound addresses (host:port), or nil before Listen.
func (s *Server) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, ln := range s.lns {
		out = append(out, ln.Addr().String())
	}
	return out
}

// Run serves on every listener until ctx is done, then shuts down
// gracefully: in-flight scrapes get shutdownTimeout to finish. It returns
// nil after a clean shutdown; if one listener fails, the others are shut
// down and its error is returned. Each listener has its own http.Server,
// as web.Serve wraps its server's handler for basic auth.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	lns := s.lns
	s.mu.Unlock()
	flags := &web.FlagConfig{WebConfigFile: &s.cfg.WebConfigFile} // web.Serve reads only this: the listeners are ours
	servers := make([]*http.Server, len(lns))
	served := make(chan error, len(lns))
	for i, ln := range lns {
		servers[i] = &http.Server{
			Handler:           s.handler,
			ReadHeaderTimeout: readHeaderTimeout,
			ReadTimeout:       readTimeout,
			WriteTimeout:      writeTimeout,
			IdleTimeout:       s.cfg.IdleTimeout,
			MaxHeaderBytes:    maxHeaderBytes,
			ConnState:         s.conns.track,
			ErrorLog:          serverErrorLog(s.log),
		}
		go func() {
			if err := web.Serve(ln, servers[i], flags, s.log); !errors.Is(err, http.ErrServerClosed) {
				served <- fmt.Errorf("serve %s: %w", ln.Addr(), err)
				return
			}
			served <- nil
		}()
	}
	var errs []error
	pending := len(lns)
	select {
	case err := <-served: // a listener failed: stop the others
		errs = append(errs, err)
		pending--
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
	}
	for ; pending > 0; pending-- {
		errs = append(errs, <-served)
	}
	return errors.Join(errs...)
}

// landingPage is the HTML of "/": links to every endpoint.
func landingPage(cfg ServerConfig) string {
	metrics := html.EscapeString(strings.TrimPrefix(cfg.TelemetryPath, "/"))
	links := []string{
		`<li><a href="` + metrics + `">/` + metrics + `</a>: métriques Prometheus (ENT, Enseigno, infrastructure, entpipe)</li>`,
		`<li><a href="-/healthy">/-/healthy</a>: le processus répond</li>`,
		`<li><a href="-/ready">/-/ready</a>: sources et destinations démarrées</li>`,
	}
	if cfg.Reload != nil {
		links = append(links, `<li>POST /-/reload : relit le fichier de configuration</li>`)
	}
	if cfg.EnablePprof {
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
