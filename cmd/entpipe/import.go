package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/entlog"
	"github.com/entpipe/entpipe/exporters/influx"
)

func runImport(ctx context.Context, io *stdio, args []string) int {
	fs := newFlagSet(io, "import", "-config FILE [-source NAME] FILE...", `
Read log files (plain or .gz, "-" for stdin) or Enseigno exports once, in the
order given, as one stream; write their bucket totals to InfluxDB, print a
summary and exit. Importing the same files again changes nothing (totals are
upserts). The command ends only when every point is in InfluxDB; if InfluxDB
stays unreachable past -flush-timeout, the points stay in the spool under
data_dir for the next run and the exit code is 1. A file that cannot be read
whole (missing, unreadable, a .gz cut short) is listed with its reason after
the summary and the exit code is 1; the other files are imported. Points that
InfluxDB refuses (older than its retention policy, a field type conflict) are
dropped, counted in the summary with the first reason, and the exit code is 1.`)
	source := fs.String("source", "", "name of the source the files belong to (default: the only entlog source)")
	flushTimeout := fs.Duration("flush-timeout", 10*time.Minute, "how long to keep retrying InfluxDB at the end")
	progress := fs.String("progress", "auto", "progress on stderr: auto (when a terminal), always, never")
	var lf logFlags
	lf.register(fs)
	cfg, code, ok := parseConfigCommand(fs, io, args, "configuration file (required)", someArgs)
	if !ok {
		return code
	}
	log := lf.logger(io.err)
	warnExposedSecrets(cfg, log)
	src, err := pickSource(cfg, *source)
	if err != nil {
		fmt.Fprintln(io.err, "entpipe import:", err)
		return exitUsage
	}
	showProgress, err := wantProgress(*progress, io.err)
	if err != nil {
		fmt.Fprintln(io.err, "entpipe import:", err)
		return exitUsage
	}
	stats := collector.NewStats()
	d, err := newDeps(cfg, stats, log)
	if err != nil {
		log.Error("import failed", "err", err)
		return exitRuntime
	}
	sink, err := influx.New(cfg.Influx, influx.Options{DataDir: cfg.DataDir, Stats: stats, Log: log})
	if err != nil {
		log.Error("import failed", "err", err)
		return exitRuntime
	}
	summary, importErr := importFiles(ctx, d, src, sink, fs.Args(), io, showProgress)
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), *flushTimeout)
	defer cancel()
	if showProgress {
		fmt.Fprintln(io.err, "waiting for InfluxDB to acknowledge every point…")
	}
	closeErr := sink.Close(closeCtx)
	rejected, firstReject := sink.Rejected()
	var failed collector.FileErrors
	partial := errors.As(importErr, &failed)
	if summary != "" && (importErr == nil || partial) {
		fmt.Fprintln(io.out, strings.TrimRight(summary, "\n"))
	}
	if partial {
		fmt.Fprintf(io.out, "not read whole:  %d of %d files (the rest is imported)\n", len(failed), len(fs.Args()))
		for _, fe := range failed {
			fmt.Fprintf(io.out, "  %s\n", fe)
		}
	}
	if rejected > 0 {
		fmt.Fprintf(io.out, "rejected:        %d points refused by InfluxDB and dropped; first: %s\n", rejected, firstReject)
		if influx.BeyondRetention(firstReject) {
			fmt.Fprintf(io.out, "  the points are older than the retention policy of %s: raise influx.retention, run `entpipe influx setup`, then import again\n", cfg.Influx.Bucket)
		}
	}
	switch {
	case importErr != nil && !partial:
		log.Error("import failed", "source", src.Name, "err", importErr)
		return exitRuntime
	case closeErr != nil:
		log.Error("import not fully written to InfluxDB", "source", src.Name, "err", closeErr)
		return exitRuntime
	}
	status, except := exitOK, ""
	if rejected > 0 {
		except = fmt.Sprintf(", except the %d rejected points", rejected)
		log.Error("import incomplete: InfluxDB rejected points, see the summary", "source", src.Name, "points", rejected)
		status = exitRuntime
	}
	fmt.Fprintf(io.out, "written to InfluxDB: %s (%s)%s\n", collector.RedactURL(cfg.Influx.URL), cfg.Influx.Bucket, except)
	if partial {
		log.Error("import incomplete: files not read whole, see the summary", "source", src.Name, "files", len(failed))
		status = exitRuntime
	}
	if n := stats.Counter(collector.MetricSpoolCorrupt).Value(); n > 0 {
		// Batches of this import or of an earlier process on this data_dir.
		log.Error("damaged spool records dropped: their batches are not in InfluxDB; check the disk, then import the period again",
			"dir", influx.SpoolDir(cfg.DataDir), "corrupt_records", n)
		status = exitRuntime
	}
	return status
}

// importFiles runs the source's own import and returns its summary text.
func importFiles(ctx context.Context, d *deps, s SourceConfig, sink collector.Sink, paths []string, io *stdio, showProgress bool) (string, error) {
	if s.Enseigno != nil {
		src, err := d.enseigno(s)
		if err != nil {
			return "", err
		}
		sum, err := src.ImportFiles(ctx, sink, paths)
		return sum.String(), err
	}
	src, err := d.entlog(s)
	if err != nil {
		return "", err
	}
	var report func(entlog.Progress)
	if showProgress {
		start := time.Now()
		report = func(p entlog.Progress) {
			secs := max(time.Since(start).Seconds(), 1e-3)
			fmt.Fprintf(io.err, "\r[%d/%d] %-40s %12d lines %8.0f MB %10.0f lines/s %10.0f points/s", p.Index+1, p.Files, shorten(p.File, 40),
				p.Lines, float64(p.Bytes)/1e6, float64(p.Lines)/secs, float64(p.Points)/secs)
		}
	}
	sum, err := src.Import(ctx, sink, paths, io.in, report)
	if showProgress {
		fmt.Fprintln(io.err)
	}
	return sum.String(), err
}

// pickSource returns the named source, or the only entlog source.
func pickSource(cfg *Config, name string) (SourceConfig, error) {
	var names, logs []string
	for _, s := range cfg.Sources {
		if s.Infra != nil {
			continue
		}
		names = append(names, s.Name)
		if name == s.Name {
			return s, nil
		}
		if s.Entlog != nil {
			logs = append(logs, s.Name)
		}
	}
	if name != "" {
		return SourceConfig{}, fmt.Errorf("no entlog or enseigno source named %q (sources: %s)", name, strings.Join(names, ", "))
	}
	if len(logs) != 1 {
		return SourceConfig{}, fmt.Errorf("-source is required: the configuration has %d entlog sources (sources: %s)", len(logs), strings.Join(names, ", "))
	}
	return pickSource(cfg, logs[0])
}

func wantProgress(mode string, w io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		f, ok := w.(*os.File)
		if !ok {
			return false, nil
		}
		st, err := f.Stat()
		return err == nil && st.Mode()&os.ModeCharDevice != 0, nil
	}
	return false, fmt.Errorf("-progress: %q is not one of auto, always, never", mode)
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n+1:]
}
