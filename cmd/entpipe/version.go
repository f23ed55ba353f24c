package main

import (
	"context"
	"fmt"

	"github.com/prometheus/common/version"
)

// runVersion prints the build information of github.com/prometheus/common/
// version, which the build sets with -ldflags "-X github.com/prometheus/
// common/version.Version=…" (Makefile, Dockerfile) as every Prometheus
// project does; the revision falls back to the one Go records from the
// VCS. entpipe_build_info (client_golang's version collector) carries the
// same values.
func runVersion(_ context.Context, io *stdio, args []string) int {
	fs := newFlagSet(io, "version", "", "Print the version, branch, VCS revision, build user and date, Go version and platform of this binary (also: entpipe --version).")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fmt.Fprintln(io.out, version.Print("entpipe"))
	return exitOK
}
