package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExampleConfigLoads(t *testing.T) {
	cfg, err := loadConfig("../../deploy/entpipe.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Sources) == 0 || cfg.Timezone != "Europe/Paris" || cfg.Influx.Bucket != "ent/autogen" {
		t.Fatalf("unexpected example config: %+v", cfg)
	}
}

func TestConfigErrors(t *testing.T) {
	f := func(yaml string, want ...string) {
		t.Helper()
		_, err := parseConfig([]byte(yaml))
		if err == nil {
			t.Fatalf("no error for:\n%s", yaml)
		}
		got := strings.Split(err.Error(), "\n")
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("errors:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
		}
	}
	// Three different mistakes, all reported, each with its path.
	f(`
timezone: Europe/Pariss
influx: {url: "localhost:8086"}
sources:
  - name: ent92
    entlog: {department: "92", ent: ent92, paths: [/var/log/a.log]}
  - name: oze78
    entlog: {department: "78", ent: oze78, paths: []}
  - name: both
    entlog: {department: "78", ent: x, paths: [a]}
    infra: {department: "78", ent: x, node_exporter: ["http://h:9100/metrics"]}
`,
		`timezone: "Europe/Pariss" is not an IANA time zone`,
		`influx.url: "localhost:8086" is not an http(s) URL`,
		`sources[1] "oze78": entlog.paths: must list at least one file`,
		`sources[2] "both": exactly one of entlog, enseigno, infra must be set, found 2`)
	// Unknown keys name their line.
	f(`
sources:
  - name: ent92
    entlog:
      department: "92"
      pathz: [a]
`, `line 6: unknown key "pathz" (in entlog.Config)`)
	f("sources: [{name: a, interval: ten}]\n", `line 1: cannot unmarshal !!str `+"`ten`"+` into time.Duration`)
	f("sources: []\n", `sources: must list at least one source`)
	f(`
sources:
  - {name: a, enseigno: {department: "92"}}
  - {name: a, enseigno: {department: "92", format: xls}}
`, `sources[1] "a": name: "a" is used by another source`, `sources[1] "a": enseigno.format: "xls" is not one of [csv json]`)
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := parseConfig([]byte("sources: [{name: e, enseigno: {department: \"92\"}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/var/lib/entpipe" || cfg.SaltFile != "/var/lib/entpipe/salt" ||
		cfg.Sources[0].Interval.String() != "1h0m0s" || cfg.Sources[0].Enseigno.Format != "csv" ||
		cfg.Influx.URL != "http://127.0.0.1:8086" {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
}

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("influx: {bucket: /x}\nsources: [{name: A, entlog: {}}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "check", "-config", bad)
	if code != exitUsage || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, want := range []string{
		`influx.bucket: want a bucket name`,
		`sources[0] "A": name: "A" is not a slug`,
		`sources[0] "A": entlog.department: must be set`,
		`sources[0] "A": entlog.ent: must be set`,
		`sources[0] "A": entlog.paths: must list at least one file`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if code, out, _ := runCLI(t, "check", "-config", "../../deploy/entpipe.example.yaml"); code != exitOK || !strings.Contains(out, "valid") {
		t.Fatalf("example: exit %d, %q", code, out)
	}
	if code, _, _ := runCLI(t, "check"); code != exitUsage {
		t.Fatalf("check without -config: exit %d, want 2", code)
	}
}
