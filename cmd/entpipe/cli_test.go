package main

import (
	"bytes"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, &stdio{in: strings.NewReader(""), out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

func TestCLI(t *testing.T) {
	f := func(wantCode int, wantOut, wantErr string, args ...string) {
		t.Helper()
		code, out, errOut := runCLI(t, args...)
		if code != wantCode || !strings.Contains(out, wantOut) || !strings.Contains(errOut, wantErr) {
			t.Errorf("entpipe %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
		}
	}
	f(exitOK, "Commands:", "", "-help")
	f(exitUsage, "Commands:", "")
	f(exitUsage, "", `unknown command "nope"`, "nope")
	f(exitOK, "entpipe dev", "", "version")
	f(exitOK, "", "Usage: entpipe check -config FILE", "check", "-help")
	f(exitUsage, "", "flag provided but not defined: -bogus", "check", "-bogus")
}
