package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

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
/metrics, with /-/healthy and /-/ready, for Prometheus.`)
	listen := fs.String("web.listen-address", prom.DefaultListenAddress,
		"address to serve /metrics, /-/healthy and /-/ready on; the default listens on every interface, as exporters do, since Prometheus scrapes from another host: restrict it with a host (127.0.0.1:9489), a firewall, or TLS and basic auth (-web.config.file)")
	webConfig := fs.String("web.config.file", "", "Prometheus web configuration file (TLS, basic auth)")
	pprof := fs.Bool("web.enable-pprof", false, "serve /debug/pprof on the metrics address")
	maxConns := fs.Int("web.max-connections", prom.DefaultMaxConnections,
		fmt.Sprintf("most HTTP connections kept open; at the limit the longest-idle one is closed to accept a new one (lowered if needed to leave %d open files to sources, checkpoints and the spool)", fdReserve))
	shutdown := fs.Duration("shutdown-timeout", 30*time.Second, "how long to keep delivering buffered points to InfluxDB on shutdown")
	var lf logFlags
	lf.register(fs)
	cfg, code, ok := parseConfigCommand(fs, io, args, "configuration file (required)", noArgs)
	if !ok {
		return code
	}
	log, err := lf.logger(io.err)
	if err != nil {
		fmt.Fprintln(io.err, "entpipe run:", err)
		return exitUsage
	}
	warnExposedSecrets(cfg, log)
	if *maxConns < 1 {
		fmt.Fprintln(io.err, "entpipe run: -web.max-connections must be at least 1")
		return exitUsage
	}
	web := prom.ServerConfig{ListenAddress: *listen, WebConfigFile: *webConfig, EnablePprof: *pprof,
		MaxConnections: fitConnections(*maxConns, log)}
	if err := serve(ctx, cfg, web, *shutdown, log); err != nil {
		log.Error("run failed", "err", err)
		if errors.As(err, new(configError)) {
			return exitUsage // restarting cannot fix it
		}
		return exitRuntime
	}
	return exitOK
}

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

// serve builds the pipeline, runs it until ctx is done, then shuts down in
// reverse order: sources stop (after their last flush and checkpoint), the
// InfluxDB sink delivers or spools what it holds, the HTTP server stops.
func serve(ctx context.Context, cfg *Config, web prom.ServerConfig, shutdownTimeout time.Duration, log *slog.Logger) error {
	stats := collector.NewStats()
	d, err := newDeps(cfg, stats, log)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ver, rev, gov := buildInfo()
	exporter, err := prom.NewExporter(reg, prom.Options{
		Stats: stats, Vocabulary: d.vocabulary(), Capacity: cfg.Capacity,
		Version: ver, Revision: rev, GoVersion: gov, Log: log,
	})
	if err != nil {
		return err
	}
	var ready atomic.Bool
	server := prom.NewServer(web, reg, ready.Load, log)
	reg.MustRegister(server.Collector())
	if err := server.Listen(); err != nil {
		if errors.Is(err, prom.ErrInvalidConfig) {
			return configError{err}
		}
		return err
	}
	sink, err := influx.New(cfg.Influx, influx.Options{DataDir: cfg.DataDir, Stats: stats, Log: log})
	if err != nil {
		return err
	}
	runner := collector.NewRunner(collector.Tee{sink, exporter}, stats, log)
	if err := d.addSources(runner); err != nil {
		_ = sink.Close(context.Background())
		return err
	}

	serverCtx, stopServer := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	var serverErr error
	wg.Go(func() { serverErr = server.Run(serverCtx) })
	log.Info("entpipe running", "sources", len(cfg.Sources), "metrics", "http://"+server.Addr()+"/metrics", "influx", influx.RedactURL(cfg.Influx.URL))
	ready.Store(true)
	runner.Run(ctx)
	ready.Store(false)

	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	sinkErr := sink.Close(closeCtx)
	stopServer()
	wg.Wait()
	log.Info("entpipe stopped")
	return errors.Join(sinkErr, serverErr)
}
