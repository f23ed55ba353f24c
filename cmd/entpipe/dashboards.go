package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/entpipe/entpipe/dashboards"
)

func runDashboards(ctx context.Context, io *stdio, args []string) int {
	const help = `
Export or provision the Grafana dashboards.

  entpipe dashboards export -out DIR
      write every board as DIR/<uid>.json (deterministic; the files in
      deploy/grafana/dashboards are such an export)
  entpipe dashboards provision -grafana-url URL -token-file FILE
      create or update the folder, the two datasources and every board
      through the Grafana HTTP API (idempotent)`
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := newFlagSet(io, "dashboards", "export|provision [flags]", help)
		if code, ok := parseFlags(fs, args); !ok {
			return code
		}
		fs.Usage()
		return exitUsage
	}
	switch args[0] {
	case "export":
		return runDashboardsExport(io, args[1:])
	case "provision":
		return runDashboardsProvision(ctx, io, args[1:])
	}
	fmt.Fprintf(io.err, "entpipe dashboards: unknown subcommand %q (export, provision)\n", args[0])
	return exitUsage
}

func runDashboardsExport(io *stdio, args []string) int {
	fs := newFlagSet(io, "dashboards export", "-out DIR", `
Write every board as DIR/<uid>.json: keys sorted, two-space indentation,
"id" null, datasources by uid. The output is deterministic, so the committed
deploy/grafana/dashboards can be checked against a fresh export.`)
	out := fs.String("out", "", "directory to write the boards to (required), e.g. deploy/grafana/dashboards")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	paths, err := dashboards.Export(*out)
	if err != nil {
		fmt.Fprintf(io.err, "entpipe dashboards export: %v\n", err)
		return exitRuntime
	}
	for _, p := range paths {
		fmt.Fprintln(io.out, p)
	}
	return exitOK
}

func runDashboardsProvision(ctx context.Context, io *stdio, args []string) int {
	fs := newFlagSet(io, "dashboards provision", "-grafana-url URL -token-file FILE [flags]", `
Create or update, through the Grafana HTTP API, the folder, the datasources
entpipe-influxdb (InfluxQL) and entpipe-prometheus, and every board, matched
by uid (never by numeric id, so no unrelated dashboard is touched). Running
it again updates in place. The token file holds a service-account token or
API key (Admin, for datasources; Editor is enough with -skip-datasources),
or "user:password" for basic authentication.`)
	def, folder := dashboards.DefaultTargets(), dashboards.DefaultFolder()
	grafanaURL := fs.String("grafana-url", "", "Grafana root URL, with its sub-path if any (required)")
	tokenFile := fs.String("token-file", "", "file holding the Grafana token (required)")
	fs.StringVar(&folder.UID, "folder", folder.UID, "uid of the folder the boards go to")
	fs.StringVar(&folder.Title, "folder-title", folder.Title, "title of that folder when it is created")
	influxURL := fs.String("influx-url", def.InfluxURL, "InfluxDB URL as Grafana's server reaches it")
	influxDB := fs.String("influx-database", def.InfluxDatabase, "InfluxDB database (2.x: DBRP-mapped name)")
	promURL := fs.String("prometheus-url", def.PrometheusURL, "Prometheus URL as Grafana's server reaches it")
	skipDS := fs.Bool("skip-datasources", false, "leave the datasources alone (when file provisioning owns them)")
	timeout := fs.Duration("timeout", 30*time.Second, "overall timeout")
	var lf logFlags
	lf.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *grafanaURL == "" || *tokenFile == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	logger := lf.logger(io.err)
	token, err := os.ReadFile(*tokenFile)
	if err != nil {
		fmt.Fprintf(io.err, "entpipe dashboards provision: -token-file: %v\n", err)
		return exitUsage
	}
	ds := dashboards.Datasources(dashboards.Targets{InfluxURL: *influxURL, InfluxDatabase: *influxDB, PrometheusURL: *promURL})
	if *skipDS {
		ds = nil
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	boards, err := dashboards.All()
	if err != nil {
		fmt.Fprintf(io.err, "entpipe dashboards provision: %v\n", err)
		return exitRuntime
	}
	p := &dashboards.Provisioner{URL: *grafanaURL, Token: strings.TrimSpace(string(token))}
	actions, err := p.Provision(ctx, folder, ds, boards)
	for _, a := range actions {
		logger.Info("grafana object provisioned", "kind", a.Kind, "uid", a.UID, "action", a.Verb)
		fmt.Fprintf(io.out, "%-8s %-10s %s %s\n", a.Verb, a.Kind, a.UID, a.URL)
	}
	if err != nil {
		logger.Error("provisioning failed", "err", err)
		return exitRuntime
	}
	return exitOK
}
