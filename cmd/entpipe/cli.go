package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/prometheus/common/promslog"
)

// Exit codes, as docs/design.md#conventions fixes them.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2 // bad flags, bad configuration, or a subcommand not built yet
)

type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// command is one subcommand. run returns an exit code; it owns its flags.
type command struct {
	name, summary string
	run           func(ctx context.Context, io *stdio, args []string) int
}

func commands() []command {
	return []command{
		{"run", "follow the configured sources and feed InfluxDB and /metrics until stopped", runRun},
		{"import", "read log files or exports once, write their totals to InfluxDB, print a summary", runImport},
		{"simulate", "generate the bulletin-2020 scenario's logs and exports", runSimulate},
		{"dashboards", "export or provision the Grafana dashboards", runDashboards},
		{"report", "write the directors' HTML report from InfluxDB", runReport},
		{"check", "validate a configuration file and exit", runCheck},
		{"influx", "prepare InfluxDB: database or bucket, retention (influx setup)", runInflux},
		{"version", "print version information", runVersion},
	}
}

func run(ctx context.Context, args []string, io *stdio) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(io.out, cmds)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "--version" || args[0] == "-version" {
		return runVersion(ctx, io, args[1:])
	}
	for _, c := range cmds {
		if c.name == args[0] {
			return c.run(ctx, io, args[1:])
		}
	}
	fmt.Fprintf(io.err, "entpipe: unknown command %q\n\n", args[0])
	usage(io.err, cmds)
	return exitUsage
}

func usage(w io.Writer, cmds []command) {
	fmt.Fprint(w, `entpipe collects ENT usage and load into InfluxDB, Prometheus and Grafana.

Usage:
  entpipe <command> [flags] [args]
  entpipe --version

Commands:
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'entpipe <command> -help' for the flags of a command.\n")
}

// newFlagSet returns a FlagSet whose -help prints a synopsis, a description
// and every flag, the way the Prometheus tools do.
func newFlagSet(io *stdio, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet("entpipe "+name, flag.ContinueOnError)
	fs.SetOutput(io.err)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: entpipe %s %s\n\n%s\n\nFlags:\n", name, synopsis, strings.TrimSpace(description))
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and maps -help to exit 0 and bad flags to exit 2.
// ok is false when the caller must return code.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return exitOK, true
}

// logFlags are the logging flags every long-running command takes, with
// the values of Prometheus and its exporters (promslog's flag values):
// --log.level debug|info|warn|error, --log.format logfmt|json. A bad value
// is a usage error (exit 2) at parsing.
type logFlags struct {
	level  *promslog.Level
	format *promslog.Format
}

func (l *logFlags) register(fs *flag.FlagSet) {
	l.level, l.format = promslog.NewLevel(), promslog.NewFormat()
	_ = l.level.Set("info")
	_ = l.format.Set("logfmt")
	fs.Var(logLevel{l.level}, "log.level", "only log messages with the given `level` or above: debug, info, warn, error")
	fs.Var(logFormat{l.format}, "log.format", "output `format` of log messages: logfmt or json")
}

// logLevel is promslog's level as a flag.Value whose zero value prints
// (flag's -help calls String on one).
type logLevel struct{ *promslog.Level }

func (l logLevel) String() string {
	if l.Level == nil {
		return ""
	}
	return l.Level.String()
}

// logFormat is promslog's format as a flag.Value whose zero value prints.
// It also accepts text, the name entpipe's first releases gave logfmt, so
// that their systemd units keep starting.
type logFormat struct{ *promslog.Format }

func (f logFormat) String() string {
	if f.Format == nil {
		return ""
	}
	return f.Format.String()
}

func (f logFormat) Set(s string) error {
	if s == "text" {
		s = "logfmt"
	}
	return f.Format.Set(s)
}

// logger builds the one logger of the process, on w (stderr): logfmt
// (slog's text handler) or JSON, filtered by --log.level, as promslog.New
// does, without its source attribute: entpipe's records carry a "source"
// attribute of their own, the name of the configured source, which
// promslog would rename logged_source.
func (l *logFlags) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: l.level}
	if l.format.String() == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// argsRule says which positional arguments a command takes.
type argsRule int

const (
	noArgs   argsRule = iota // flags only
	someArgs                 // at least one (files)
)

// parseConfigCommand registers -config (with usage), parses args, checks the
// positional arguments against rule, and loads the configuration file. When
// ok is false the command must return code: help shown (0), bad flags or
// arguments, or an invalid file (2, every problem printed).
func parseConfigCommand(fs *flag.FlagSet, io *stdio, args []string, usage string, rule argsRule) (cfg *Config, code int, ok bool) {
	path, code, ok := parseConfigFlags(fs, args, usage, rule)
	if !ok {
		return nil, code, false
	}
	cfg, err := loadConfig(path)
	if err != nil {
		fmt.Fprintln(io.err, err)
		return nil, exitUsage, false
	}
	return cfg, exitOK, true
}

// parseConfigFlags registers -config (with usage), parses args and checks
// the positional arguments against rule; it returns the -config path.
func parseConfigFlags(fs *flag.FlagSet, args []string, usage string, rule argsRule) (path string, code int, ok bool) {
	config := fs.String("config", "", usage)
	if code, ok := parseFlags(fs, args); !ok {
		return "", code, false
	}
	if *config == "" || (rule == noArgs) != (fs.NArg() == 0) {
		fs.Usage()
		return "", exitUsage, false
	}
	return *config, exitOK, true
}
