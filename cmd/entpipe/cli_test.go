package main

import (
	"bytes"
	"os"
	"path/filepath"
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
	f(exitOK, "entpipe, version ", "", "version")
	f(exitOK, "entpipe, version ", "", "--version")
	f(exitOK, "entpipe, version ", "", "-version")
	f(exitUsage, "", `invalid value "xml" for flag -log.format: unrecognized log format xml`, "run", "-config", "x.yaml", "--log.format", "xml")
	f(exitUsage, "", `invalid value "loud" for flag -log.level: unrecognized log level loud`, "import", "-config", "x.yaml", "--log.level=loud", "f.log")
	f(exitOK, "", "Usage: entpipe check -config FILE", "check", "-help")
	f(exitUsage, "", "flag provided but not defined: -bogus", "check", "-bogus")
	for _, c := range commands() { // flag's -help calls String on zero flag values
		args := []string{c.name, "-help"}
		switch c.name {
		case "dashboards":
			args = []string{c.name, "provision", "-help"}
		case "influx":
			args = []string{c.name, "setup", "-help"}
		}
		if code, _, errOut := runCLI(t, args...); code != exitOK || strings.Contains(errOut, "panic") {
			t.Errorf("entpipe %v: exit %d\n%s", args, code, errOut)
		}
	}
}

// TestRunConfigurationErrorsExit2: every configuration error of `run`
// exits 2 (systemd does not restart it in a loop), the web configuration
// file and the listen address included. (A busy port is a runtime error:
// prom's TestServerListenErrors.)
func TestRunConfigurationErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "entpipe.yaml")
	webConf := filepath.Join(dir, "web.yml")
	for path, text := range map[string]string{
		conf:    "data_dir: " + dir + "\nsources: [{name: e, enseigno: {department: \"92\"}}]\n",
		webConf: "tls_server_config: {cert_file: /nonexistent.crt}\n",
	} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for wantErr, args := range map[string][]string{
		"invalid web configuration: web config " + webConf: {"-web.config.file", webConf},
		"missing port in address":                          {"-web.listen-address", "localhost"},
		"-web.max-connections must be at least 1":          {"-web.max-connections", "0"},
	} {
		code, _, errOut := runCLI(t, append([]string{"run", "-config", conf}, args...)...)
		if code != exitUsage || !strings.Contains(errOut, wantErr) {
			t.Errorf("entpipe run %v: exit %d, want 2; stderr:\n%s", args, code, errOut)
		}
	}
}
