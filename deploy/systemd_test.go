package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const unitFile = "systemd/entpipe.service"

// unitValues returns the values of key in the unit, in order.
func unitValues(unit, key string) []string {
	var vals []string
	for _, m := range regexp.MustCompile(`(?m)^`+key+`=(.*)$`).FindAllStringSubmatch(unit, -1) {
		vals = append(vals, m[1])
	}
	return vals
}

// TestSystemdUnit: the service runs entpipe on the code's port, restarts
// on failure but not on a configuration error (exit 2), and is hardened:
// no privileges, a read-only system but its state directory.
func TestSystemdUnit(t *testing.T) {
	unit := readFile(t, unitFile)
	exec := unitValues(unit, "ExecStart")
	if len(exec) != 1 || !strings.Contains(exec[0], " run -config /etc/entpipe/entpipe.yaml ") || !strings.Contains(exec[0], " -web.listen-address :"+metricsPort) {
		t.Errorf("ExecStart %q: want entpipe run -config … -web.listen-address :%s", exec, metricsPort)
	}
	for _, key := range []string{"ExecStartPre", "ExecStart"} {
		for _, line := range unitValues(unit, key) {
			checkArgs(t, key, strings.Fields(line)[1:])
		}
	}
	for key, want := range map[string]string{
		"DynamicUser":              "yes",
		"NoNewPrivileges":          "yes",
		"ProtectSystem":            "strict",
		"ProtectHome":              "yes",
		"PrivateTmp":               "yes",
		"StateDirectory":           "entpipe", // /var/lib/entpipe: the default data_dir
		"Restart":                  "on-failure",
		"RestartPreventExitStatus": "2",
		"ExecReload":               "/bin/kill -HUP $MAINPID", // systemctl reload: entpipe reloads on SIGHUP
		"CapabilityBoundingSet":    "",
	} {
		if got := unitValues(unit, key); len(got) != 1 || got[0] != want {
			t.Errorf("%s=%q, want %q", key, got, want)
		}
	}
	if got := unitValues(unit, "ReadWritePaths"); len(got) != 0 {
		t.Errorf("ReadWritePaths=%q: the state directory is the only writable path (StateDirectory)", got)
	}
}

// TestIntegrationSystemdVerify runs systemd-analyze verify on the unit,
// with ExecStart pointing at a freshly built entpipe (it checks the binary
// exists), and wants no warning at all (unknown keys are only warnings).
func TestIntegrationSystemdVerify(t *testing.T) {
	analyze := requireTool(t, "systemd-analyze", "Debian package systemd")
	unit := strings.ReplaceAll(readFile(t, unitFile), "/usr/local/bin/entpipe", entpipeBinary(t))
	path := filepath.Join(t.TempDir(), "entpipe.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestLogrotate: rename + create (never copytruncate), and every rotated
// log is one the example configuration follows.
func TestLogrotate(t *testing.T) {
	conf := readFile(t, "systemd/nginx-ent.logrotate")
	var directives, logs []string
	for l := range strings.Lines(conf) {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "/"):
			logs = append(logs, l)
		default:
			directives = append(directives, strings.Fields(l)[0])
		}
	}
	if !slices.Contains(directives, "create") || slices.Contains(directives, "copytruncate") {
		t.Errorf("directives %q: want create, not copytruncate", directives)
	}
	var example struct {
		Sources []struct {
			Entlog struct {
				Paths []string `yaml:"paths"`
			} `yaml:"entlog"`
		} `yaml:"sources"`
	}
	decodeFile(t, "entpipe.example.yaml", &example)
	for _, l := range logs {
		followed := false
		for _, s := range example.Sources {
			for _, p := range s.Entlog.Paths {
				if ok, _ := filepath.Match(p, l); ok {
					followed = true
				}
			}
		}
		if !followed {
			t.Errorf("logrotate rotates %s, which deploy/entpipe.example.yaml does not follow", l)
		}
	}
	if len(logs) == 0 {
		t.Error("logrotate example rotates no file")
	}
}
