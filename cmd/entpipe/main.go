// Command entpipe is the one entpipe binary: it collects ENT access logs,
// Enseigno exports and server load, writes bucket totals to InfluxDB,
// exposes live metrics to Prometheus and builds Grafana dashboards. This
// package is the composition root: the only one that knows every other.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Europe/Paris must resolve on hosts and images without zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks for a clean stop (an import still flushes to
	// InfluxDB for up to -flush-timeout); a second one ends the process at
	// once: stop restores the default action.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], &stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}
