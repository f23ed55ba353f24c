package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// TestDashboardsExport: the command writes exactly the committed boards.
func TestDashboardsExport(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "dashboards", "export", "-out", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	paths := strings.Fields(out)
	golden, _ := filepath.Glob("../../deploy/grafana/dashboards/*.json")
	if len(paths) != 7 || len(golden) != 7 {
		t.Fatalf("exported %v, committed %v", paths, golden)
	}
	for _, g := range golden {
		want, _ := os.ReadFile(g)
		got, err := os.ReadFile(filepath.Join(dir, filepath.Base(g)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from a fresh export (%v): run entpipe dashboards export -out deploy/grafana/dashboards", g, err)
		}
	}
}

func TestDashboardsUsage(t *testing.T) {
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	closed := influxtest.NewProxy(t, "").URL // refuses connections on a port the test holds
	f := func(wantCode int, wantErr string, args ...string) {
		t.Helper()
		code, _, errOut := runCLI(t, append([]string{"dashboards"}, args...)...)
		if code != wantCode || !strings.Contains(errOut, wantErr) {
			t.Errorf("entpipe dashboards %v: exit %d, want %d with %q\nstderr: %s", args, code, wantCode, wantErr, errOut)
		}
	}
	f(exitUsage, "Usage: entpipe dashboards export|provision")
	f(exitOK, "Usage: entpipe dashboards export|provision", "-help")
	f(exitUsage, `unknown subcommand "nope"`, "nope")
	f(exitUsage, "Usage: entpipe dashboards export -out DIR", "export")
	f(exitUsage, "Usage: entpipe dashboards provision", "provision", "-grafana-url", closed)
	f(exitUsage, "-token-file", "provision", "-grafana-url", closed, "-token-file", token+".missing")
	f(exitRuntime, "grafana unreachable at", "provision", "-grafana-url", closed, "-token-file", token)
}
