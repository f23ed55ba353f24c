package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSimulateThenCheck: the generated configuration is one that
// `entpipe check` accepts, and bad flags are usage errors.
func TestSimulateThenCheck(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "simulate", "-out", dir, "-from", "2020-03-29", "-to", "2020-03-30", "-scale", "0.002")
	if code != exitOK || !strings.Contains(out, " 10 files") {
		t.Fatalf("simulate: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "check", "-config", filepath.Join(dir, "entpipe.yaml"))
	if code != exitOK || !strings.Contains(out, "valid, 5 source(s)") {
		t.Errorf("check of the simulated config: exit %d\n%s%s", code, out, errOut)
	}
	for _, args := range [][]string{
		{"simulate"},
		{"simulate", "-out", dir, "-scenario", "other"},
		{"simulate", "-out", dir, "-from", "2020-04-01", "-to", "2020-03-01"},
		{"simulate", "-out", dir, "-scale", "0"},
		{"simulate", "-out", dir, "-ents", "ent93"},
		// Two workers would write the same files, and the generated
		// configuration would list the source twice.
		{"simulate", "-out", dir, "-ents", "ent92,ent92"},
	} {
		if code, _, _ := runCLI(t, args...); code != exitUsage {
			t.Errorf("entpipe %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
