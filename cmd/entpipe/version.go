package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// buildInfo returns the version, the VCS revision and the Go version of
// this binary, for `entpipe version` and entpipe_build_info.
func buildInfo() (ver, revision, goVersion string) {
	revision = "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	return version, revision, runtime.Version()
}

func runVersion(_ context.Context, io *stdio, args []string) int {
	fs := newFlagSet(io, "version", "", "Print the version, VCS revision and Go version of this binary.")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	v, rev, gov := buildInfo()
	fmt.Fprintf(io.out, "entpipe %s (revision %s, %s %s/%s)\n", v, rev, gov, runtime.GOOS, runtime.GOARCH)
	return exitOK
}
