package main

import (
	"context"
	"fmt"
)

func runCheck(_ context.Context, io *stdio, args []string) int {
	fs := newFlagSet(io, "check", "-config FILE", `
Validate a configuration file in one pass: YAML syntax, unknown keys and
values of the wrong type (with their line), then every section's rules, all
listed at once with their YAML path. Then check the files it names, as the
user that will run entpipe: data_dir can be written or created, the salt
file read or created (check creates neither; it says what it tried). Secret
files readable by their group or others get a warning. Exits 0 when
everything is usable, 2 otherwise.`)
	path, code, ok := parseConfigFlags(fs, args, "configuration file to validate (required)", noArgs)
	if !ok {
		return code
	}
	cfg, p, err := readConfig(path)
	if err != nil {
		fmt.Fprintln(io.err, err)
		return exitUsage
	}
	if cfg != nil {
		for _, line := range checkFiles(cfg, p) {
			fmt.Fprintln(io.out, line)
		}
		for _, e := range exposedSecrets(cfg) {
			fmt.Fprintln(io.err, "warning:", e)
		}
	}
	if p.Len() > 0 {
		fmt.Fprintln(io.err, invalidConfig(path, p))
		return exitUsage
	}
	fmt.Fprintf(io.out, "%s: valid, %d source(s)\n", path, len(cfg.Sources))
	return exitOK
}
