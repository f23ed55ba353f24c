package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/entpipe/entpipe/cmd/entpipe/internal/report"
	"github.com/entpipe/entpipe/exporters/influx"
)

func runReport(ctx context.Context, io *stdio, args []string) int {
	fs := newFlagSet(io, "report", "-config FILE -out DIR [flags]", `
Write the directors' report under DIR: index.html (French, printable) with
the bulletin's charts read back from the configured InfluxDB through
InfluxQL, and each chart as PNG, SVG and CSV. Figures finer than the
département that rest on fewer than 5 visitors are masked.`)
	out := fs.String("out", "", "output directory (required)")
	from := fs.String("from", "2019-09-02", "first day of the daily charts (YYYY-MM-DD, Europe/Paris)")
	to := fs.String("to", "2020-04-30", "last day of the daily charts, included")
	day := fs.String("day", "2020-03-30", "day of the intraday chart; its month is the monthly chart")
	ent := fs.String("ent", "ent92", "ENT (ent tag) of the ENT-level charts")
	cfg, code, ok := parseConfigCommand(fs, io, args, "configuration file; its influx section says where to read (required)", noArgs)
	if !ok {
		return code
	}
	if *out == "" {
		fs.Usage()
		return exitUsage
	}
	var dates [3]time.Time
	for i, s := range []string{*from, *to, *day} {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			fmt.Fprintf(io.err, "entpipe report: %q is not a date YYYY-MM-DD\n", s)
			return exitUsage
		}
		dates[i] = d
	}
	if dates[1].Before(dates[0]) {
		fmt.Fprintf(io.err, "entpipe report: -from %s is after -to %s\n", *from, *to)
		return exitUsage
	}
	token, err := cfg.Influx.Token()
	if err != nil {
		fmt.Fprintf(io.err, "entpipe report: influx token: %v\n", err)
		return exitUsage
	}
	database, _, _ := strings.Cut(cfg.Influx.Bucket, "/")
	q := influx.Querier{URL: cfg.Influx.URL, Database: database, Token: token, Client: &http.Client{Timeout: cfg.Influx.Timeout}}
	res, err := report.Render(ctx, q, report.Options{From: dates[0], To: dates[1], Day: dates[2], ENT: *ent, Out: *out})
	if err != nil {
		fmt.Fprintf(io.err, "entpipe report: %v\n", err)
		return exitRuntime
	}
	fmt.Fprintf(io.out, "report: %s (%d files, %d cells masked by the small-cell rule)\n", res.Index, len(res.Files), res.Masked)
	return exitOK
}
