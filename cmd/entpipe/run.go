package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/version"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/exporters/influx"
	"github.com/entpipe/entpipe/exporters/prom"
)

func runRun(ctx context.Context, io *stdio, args []string) int {
	fs := newFlagSet(io, "run", "-config FILE [flags]", `
Follow every configured source until stopped (SIGINT, SIGTERM): ENT logs are
tailed (rotation and truncation aware, resumed from checkpoints), Enseigno
URLs and infra targets polled at their interval. Bucket totals go to InfluxDB
(spooled on disk while it is unreachable); live metrics are served on
/metrics, with /-/healthy and /-/ready, for Prometheus. SIGHUP (and POST
/-/reload with -web.enable-lifecycle) applies the configuration file again:
sources added, removed or changed are started, stopped or restarted from
their checkpoints, the others keep running; an invalid file is refused and
the running configuration kept. Flags may be written -flag or --flag.`)
	opts := runOptions{shutdownTimeout: 30 * time.Second}
	opts.web.ListenAddresses = []string{prom.DefaultListenAddress}
	fs.Var(&listFlag{list: &opts.web.ListenAddresses}, "web.listen-address",
		"`address` to serve /metrics, /-/healthy and /-/ready on; repeat it to listen on several; the default is every interface, as exporters do, since Prometheus scrapes from another host; restrict it with a host (127.0.0.1:9489), a firewall, or TLS and basic auth (-web.config.file)")
	fs.BoolVar(&opts.web.SystemdSocket, "web.systemd-socket", false, "serve on the sockets systemd passes (socket activation) instead of -web.listen-address")
	fs.StringVar(&opts.web.WebConfigFile, "web.config.file", "", "Prometheus web configuration `file` (TLS, basic auth)")
	fs.StringVar(&opts.web.TelemetryPath, "web.telemetry-path", prom.DefaultTelemetryPath, "`path` under which to serve the metrics")
	fs.IntVar(&opts.web.MaxRequests, "web.max-requests", prom.DefaultMaxRequests, "most scrapes served at once, more get 503; 0 sets no bound")
	fs.BoolVar(&opts.lifecycle, "web.enable-lifecycle", false, "reload the configuration on POST or PUT /-/reload (SIGHUP always does)")
	fs.BoolVar(&opts.web.EnablePprof, "web.enable-pprof", false, "serve /debug/pprof on the metrics address")
	fs.IntVar(&opts.web.MaxConnections, "web.max-connections", prom.DefaultMaxConnections,
		fmt.Sprintf("most HTTP connections kept open on all listen addresses together; at the limit the longest-idle one is closed to accept a new one (lowered if needed to leave %d open files to sources, checkpoints and the spool)", fdReserve))
	fs.DurationVar(&opts.shutdownTimeout, "shutdown-timeout", opts.shutdownTimeout, "how long to keep delivering buffered points to InfluxDB on shutdown")
	var lf logFlags
	lf.register(fs)
	cfg, code, ok := parseConfigCommand(fs, io, args, "configuration file (required; read again on SIGHUP)", noArgs)
	if !ok {
		return code
	}
	opts.configPath = fs.Lookup("config").Value.String()
	log := lf.logger(io.err)
	warnExposedSecrets(cfg, log)
	if opts.web.MaxConnections < 1 {
		fmt.Fprintln(io.err, "entpipe run: -web.max-connections must be at least 1")
		return exitUsage
	}
	opts.web.MaxConnections = fitConnections(opts.web.MaxConnections, log)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	opts.hup = hup
	if err := serve(ctx, cfg, opts, log); err != nil {
		log.Error("run failed", "err", err)
		if errors.As(err, new(configError)) {
			return exitUsage // restarting cannot fix it
		}
		return exitRuntime
	}
	return exitOK
}

// runOptions are the flags of `entpipe run` that are not the web server's,
// and the reload signal.
type runOptions struct {
	configPath      string // read again on reload
	web             prom.ServerConfig
	lifecycle       bool // POST /-/reload reloads
	shutdownTimeout time.Duration
	hup             <-chan os.Signal // each receive reloads; nil in tests that reload otherwise
}

// listFlag is a repeatable flag: its first use replaces the default list.
type listFlag struct {
	list *[]string
	set  bool
}

func (f *listFlag) String() string {
	if f.list == nil {
		return ""
	}
	return strings.Join(*f.list, ", ")
}

func (f *listFlag) Set(v string) error {
	if !f.set {
		*f.list, f.set = nil, true
	}
	*f.list = append(*f.list, v)
	return nil
}

var _ flag.Value = (*listFlag)(nil)

// fitConnections raises the open-files limit and returns the connection
// limit that leaves fdReserve descriptors to the pipeline.
func fitConnections(maxConns int, log *slog.Logger) int {
	soft, hard, err := raiseOpenFilesLimit()
	if err != nil {
		log.Warn("cannot raise the open files limit to its hard limit", "soft", soft, "hard", hard, "err", err)
	}
	fit, lowered := connectionBudget(maxConns, soft)
	if lowered {
		log.Warn("-web.max-connections lowered to fit the open files limit", "max_connections", fit, "open_files_limit", soft, "reserved", fdReserve)
	}
	log.Info("open files limit", "soft", soft, "hard", hard, "max_connections", fit)
	return fit
}

// serve builds the pipeline, runs it until ctx is done, reloading the
// configuration on each opts.hup signal (and POST /-/reload with
// opts.lifecycle), then shuts down in reverse order: sources stop (after
// their last flush and checkpoint), the InfluxDB sink delivers or spools
// what it holds, the HTTP server stops.
func serve(ctx context.Context, cfg *Config, opts runOptions, log *slog.Logger) error {
	stats := collector.NewStats()
	d, err := newDeps(cfg, stats, log)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := prom.NewExporter(reg, prom.Options{
		Stats: stats, Vocabulary: d.vocabulary(), Capacity: cfg.Capacity, Log: log,
	})
	if err != nil {
		return err
	}
	var reloader *reloader // built with the runner, before the server serves
	if opts.lifecycle {
		opts.web.Reload = func(ctx context.Context) error { return reloader.reload(ctx) }
	}
	var ready atomic.Bool
	server, err := prom.NewServer(opts.web, reg, ready.Load, log)
	if err == nil {
		err = server.Listen()
	}
	if errors.Is(err, prom.ErrInvalidConfig) {
		return configError{err}
	}
	if err != nil {
		return err
	}
	sink, err := influx.New(cfg.Influx, influx.Options{DataDir: cfg.DataDir, Stats: stats, Log: log})
	if err != nil {
		return err
	}
	runner := collector.NewRunner(collector.Tee{sink, exporter}, stats, log)
	reloader = newReloader(opts.configPath, d, runner, exporter, log)
	if _, err := runner.Apply(d.sources()); err != nil {
		_ = sink.Close(context.Background())
		return err
	}

	serverCtx, stopServer := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	var serverErr error
	wg.Go(func() { serverErr = server.Run(serverCtx) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-opts.hup:
				_ = reloader.reload(ctx) // logged, and in the reload metrics
			}
		}
	})
	metrics := make([]string, 0, len(server.Addrs()))
	for _, a := range server.Addrs() {
		metrics = append(metrics, "http://"+a+server.TelemetryPath())
	}
	log.Info("entpipe running", "version", version.Version, "sources", len(cfg.Sources), "metrics", strings.Join(metrics, " "),
		"influx", collector.RedactURL(cfg.Influx.URL))
	ready.Store(true)
	runner.Run(ctx)
	ready.Store(false)

	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.shutdownTimeout)
	defer cancel()
	sinkErr := sink.Close(closeCtx)
	stopServer()
	wg.Wait()
	log.Info("entpipe stopped")
	return errors.Join(sinkErr, serverErr)
}
