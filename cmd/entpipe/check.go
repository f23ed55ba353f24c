package main

import (
	"context"
	"fmt"
)

func runCheck(_ context.Context, io *stdio, args []string) int {
	fs := newFlagSet(io, "check", "-config FILE", `
Validate a configuration file: strict YAML (an unknown key is an error with
its line), then every section. All problems are listed at once, each with its
YAML path. Exits 0 when the file is valid, 2 otherwise.`)
	path := fs.String("config", "", "configuration file to validate (required)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *path == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintln(io.err, err)
		return exitUsage
	}
	fmt.Fprintf(io.out, "%s: valid, %d source(s)\n", *path, len(cfg.Sources))
	return exitOK
}
