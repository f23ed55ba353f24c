package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/entpipe/entpipe/cmd/entpipe/internal/simulate"
)

func runSimulate(ctx context.Context, io *stdio, args []string) int {
	fs := newFlagSet(io, "simulate", "-scenario bulletin-2020 -out DIR [flags]", `
Generate the bulletin-2020 scenario under DIR: daily access logs of ENT 92,
eCollège 78 and Oze 78 in the ent format (logs/<ent>/access.log-YYYYMMDD,
older days gzipped), the Enseigno exports (enseigno/enseigno-<dep>.csv) and
an entpipe.yaml that reads them. The same seed gives the same bytes. Scale 1
is the bulletin's volume (ENT 92 near 180,000 visits a day in late March
2020, about 2.9 million lines a day); use -scale 0.01 for a quick look.`)
	scenario := fs.String("scenario", simulate.Scenario, "scenario to generate (only "+simulate.Scenario+")")
	out := fs.String("out", "", "output directory (required)")
	from := fs.String("from", "2019-09-02", "first day (YYYY-MM-DD, Europe/Paris)")
	to := fs.String("to", "2020-04-30", "last day, included")
	scale := fs.Float64("scale", 1, "volume relative to the bulletin's (0.01 = 1 %)")
	seed := fs.Uint64("seed", 1, "random seed")
	workers := fs.Int("workers", 0, "files generated in parallel (0: one per CPU)")
	entList := fs.String("ents", "", "comma-separated ENTs to simulate, among "+strings.Join(simulate.ENTNames(), ", ")+" (default: all)")
	influxURL := fs.String("influx-url", "http://127.0.0.1:8086", "InfluxDB URL written into the generated entpipe.yaml")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	first, err1 := time.Parse(time.DateOnly, *from)
	last, err2 := time.Parse(time.DateOnly, *to)
	switch {
	case *out == "" || fs.NArg() > 0:
		fs.Usage()
		return exitUsage
	case *scenario != simulate.Scenario:
		fmt.Fprintf(io.err, "entpipe simulate: unknown scenario %q (want %s)\n", *scenario, simulate.Scenario)
		return exitUsage
	case err1 != nil || err2 != nil || last.Before(first):
		fmt.Fprintf(io.err, "entpipe simulate: -from %q -to %q: want two dates YYYY-MM-DD, from <= to\n", *from, *to)
		return exitUsage
	case *scale <= 0:
		fmt.Fprintf(io.err, "entpipe simulate: -scale %g: must be positive\n", *scale)
		return exitUsage
	}
	var ents []string
	if *entList != "" {
		ents = strings.Split(*entList, ",")
		if err := simulate.CheckENTs(ents); err != nil {
			fmt.Fprintf(io.err, "entpipe simulate: -ents: %v\n", err)
			return exitUsage
		}
	}
	sum, err := simulate.Run(ctx, simulate.Options{Out: *out, From: first, To: last, Scale: *scale, Seed: *seed, ENTs: ents, Workers: *workers, InfluxURL: *influxURL})
	if err != nil {
		fmt.Fprintf(io.err, "entpipe simulate: %v\n", err)
		return exitRuntime
	}
	secs := sum.Duration.Seconds()
	fmt.Fprintf(io.out, "simulated %s %s..%s scale %g seed %d into %s\n", *scenario, *from, *to, *scale, *seed, *out)
	fmt.Fprintf(io.out, "  %d files, %d lines, %.1f MB in %.1fs (%.0f lines/s)\n",
		len(sum.Files), sum.Lines(), float64(sum.Bytes())/1e6, secs, float64(sum.Lines())/max(secs, 1e-9))
	var dirs []string
	byDir := map[string][3]int64{} // files, lines, bytes
	for _, f := range sum.Files {
		d := filepath.Dir(f.Path)
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = [3]int64{byDir[d][0] + 1, byDir[d][1] + f.Lines, byDir[d][2] + f.Bytes}
	}
	for _, d := range dirs {
		fmt.Fprintf(io.out, "  %-40s %4d files %11d lines %9.1f MB\n", d, byDir[d][0], byDir[d][1], float64(byDir[d][2])/1e6)
	}
	fmt.Fprintf(io.out, "  config: %s\n", sum.Files[len(sum.Files)-1].Path)
	return exitOK
}
