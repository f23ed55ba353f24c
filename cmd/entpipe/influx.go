package main

import (
	"context"
	"fmt"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/exporters/influx"
)

// runInflux dispatches the InfluxDB administration subcommands; there is
// one, setup, which deployments run before the first `entpipe run`.
func runInflux(ctx context.Context, io *stdio, args []string) int {
	const synopsis = "Usage: entpipe influx setup -config FILE [-timeout D]\n"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(io.out, synopsis)
		return exitOK
	}
	if len(args) == 0 || args[0] != "setup" {
		fmt.Fprint(io.err, synopsis)
		return exitUsage
	}
	fs := newFlagSet(io, "influx setup", "-config FILE [-timeout D]", `
Prepare InfluxDB for entpipe, idempotently (run it at every deployment).
InfluxDB 1.8: create the database of influx.bucket ("db/rp") and make rp its
default retention policy, with influx.retention (default 25 months).
InfluxDB 2.x: create the bucket in influx.org with that retention (or update
it) and map it for InfluxQL, which reports and dashboards read through.
Points older than the retention are refused by InfluxDB: to import old logs
(the spring-2020 scenario), set a retention that covers them.`)
	timeout := fs.Duration("timeout", time.Minute, "give up after this long")
	cfg, code, ok := parseConfigCommand(fs, io, args[1:], "configuration file (required)", noArgs)
	if !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := influx.Setup(ctx, cfg.Influx); err != nil {
		fmt.Fprintf(io.err, "entpipe influx setup: %v\n", err)
		return exitRuntime
	}
	fmt.Fprintf(io.out, "%s: bucket %s ready, retention %s\n", collector.RedactURL(cfg.Influx.URL), cfg.Influx.Bucket, cfg.Influx.Retention)
	return exitOK
}
