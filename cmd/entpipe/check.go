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
	cfg, code, ok := parseConfigCommand(fs, io, args, "configuration file to validate (required)", noArgs)
	if !ok {
		return code
	}
	fmt.Fprintf(io.out, "%s: valid, %d source(s)\n", fs.Lookup("config").Value, len(cfg.Sources))
	return exitOK
}
