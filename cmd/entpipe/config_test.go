package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// parseConfig decodes data and returns its problems as one error.
func parseConfig(data []byte) (*Config, error) {
	cfg, p := decodeConfig(data)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

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
	// Unknown keys and values of the wrong type name their path and line,
	// and do not hide the semantic problems of the rest.
	f(`
sources:
  - name: ent92
    entlog:
      department: "92"
      pathz: [a]
`, `sources[0] "ent92": entlog.pathz: unknown key (line 6)`,
		`sources[0] "ent92": entlog.ent: must be set (e.g. "ent92")`,
		`sources[0] "ent92": entlog.paths: must list at least one file`)
	f("sources: [{name: a, interval: ten}]\n",
		`sources[0] "a": interval: "ten" is not a duration such as 30s, 5m or 1h (line 1)`,
		`sources[0] "a": exactly one of entlog, enseigno, infra must be set, found 0`)
	// A value that does not decode is not judged again on its zero value.
	f(`
sources:
  - name: a
    interval: 15
    entlog: {department: "92", ent: a, paths: /var/log/a.log}
capacity: [{department: "92", ent: a, visits_per_day: many}]
influx: {batch_size: [1], url: http://x:8086, url: http://y:8086}
`, `sources[0] "a": interval: 15 has no unit: write 15s, 15m or 15h (line 4)`,
		`sources[0] "a": entlog.paths: want a list, got "/var/log/a.log" (line 5)`,
		`capacity[0].visits_per_day: "many" is not a number (line 6)`,
		`influx.batch_size: want an integer, got a list (line 7)`,
		`influx.url: repeated key (line 7, first at line 7)`)
	f("sources: {name: a}\ncapacity: 3\n", "sources: want a list, got a mapping (line 1)", `capacity: want a list, got "3" (line 2)`)
	f("sources: [\n", "line 1: did not find expected node content")
	f("- a\n", "want a mapping (key: value), got a list (line 1)")
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
	if err := os.WriteFile(bad, []byte("data_dir: "+dir+"\ninflux: {bucket: /x}\nsources: [{name: A, entlog: {}}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "check", "-config", bad)
	if code != exitUsage || !strings.Contains(errOut, "invalid config "+bad+" (5 problems):") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
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
	example, err := os.ReadFile("../../deploy/entpipe.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	exampleHere := filepath.Join(dir, "example.yaml")
	if err := os.WriteFile(exampleHere, bytes.Replace(example, []byte("data_dir: /var/lib/entpipe"), []byte("data_dir: "+dir), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "check", "-config", exampleHere); code != exitOK || !strings.Contains(out, "valid, 4 source(s)") {
		t.Fatalf("example: exit %d, %q %q", code, out, errOut)
	}
	if code, _, _ := runCLI(t, "check"); code != exitUsage {
		t.Fatalf("check without -config: exit %d, want 2", code)
	}
}

// TestCheckEveryProblemAtOnce is issue 14's acceptance: a configuration
// with an unknown key, a wrong type and five semantic mistakes lists at
// least seven problems in one check, exits 2, and never prints the
// password of influx.url.
func TestCheckEveryProblemAtOnce(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "entpipe.yaml")
	yaml := `data_dir: ` + dir + `
timezone: Europe/Pariss                        # semantic 1: no such zone
influx:
  url: htp://admin:s3cret@influx:8086          # semantic 2: not http(s)
  batch_size: lots                             # wrong type
  retention: 30m                               # semantic 3: under 1h
sources:
  - name: ent92
    entlog:
      department: "92"
      ent: ent92
      pathz: [/var/log/nginx/access.log]       # unknown key (and so semantic 4: no paths)
  - name: ent92                                # semantic 5: name used twice
    enseigno: {department: "92", format: xls}  # semantic 6: no such format
`
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "check", "-config", conf)
	if code != exitUsage {
		t.Errorf("exit %d, want 2", code)
	}
	if strings.Contains(out+errOut, "s3cret") {
		t.Errorf("the password of influx.url is printed:\n%s%s", out, errOut)
	}
	want := []string{
		`influx.batch_size: "lots" is not an integer (line 5)`,
		`sources[0] "ent92": entlog.pathz: unknown key (line 12)`,
		`timezone: "Europe/Pariss" is not an IANA time zone`,
		`influx.url: "htp://admin:xxxxx@influx:8086" is not an http(s) URL`,
		`influx.retention: InfluxDB needs at least 1h, got 30m0s`,
		`sources[0] "ent92": entlog.paths: must list at least one file`,
		`sources[1] "ent92": name: "ent92" is used by another source`,
		`sources[1] "ent92": enseigno.format: "xls" is not one of [csv json]`,
	}
	got := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(got) != len(want)+1 || got[0] != "invalid config "+conf+" (8 problems):" || strings.Join(got[1:], "\n") != strings.Join(want, "\n") {
		t.Errorf("stderr:\n%s\nwant the header and:\n%s", errOut, strings.Join(want, "\n"))
	}
	t.Logf("entpipe check: exit %d, %d problems listed", code, len(got)-1)
}

// TestCheckFiles: check verifies that data_dir and the salt file are usable
// without creating them, says what it did, and warns about secret files
// others can read.
func TestCheckFiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	token := filepath.Join(dir, "token")
	for path, mode := range map[string]os.FileMode{file: 0o600, token: 0o644} {
		if err := os.WriteFile(path, []byte("0123456789abcdef0123"), mode); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, yaml string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(yaml+"sources: [{name: e, enseigno: {department: \"92\", token_file: "+token+"}}]\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	data := filepath.Join(dir, "new", "data")
	code, out, errOut := runCLI(t, "check", "-config", write("fresh.yaml", "data_dir: "+data+"\n"))
	for _, want := range []string{
		"data_dir " + data + ": does not exist, can be created in " + dir + " (check created and removed a test directory there)",
		"salt_file " + data + "/salt: missing, the first run creates it (not created by check)",
		"valid, 1 source(s)",
	} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("exit %d, stdout lacks %q:\n%s%s", code, want, out, errOut)
		}
	}
	if !strings.Contains(errOut, `warning: sources[0] "e": enseigno.token_file: `+token+" is readable by its group or others (mode 0644)") {
		t.Errorf("no warning about the token file:\n%s", errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("check left files behind: %v", entries)
	}

	code, out, errOut = runCLI(t, "check", "-config", write("existing.yaml", "data_dir: "+dir+"\nsalt_file: "+file+"\n"))
	if code != exitOK || !strings.Contains(out, "data_dir "+dir+": writable (check created and removed a test file)") ||
		!strings.Contains(out, "salt_file "+file+": read, 20 bytes") {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}

	code, _, errOut = runCLI(t, "check", "-config", write("unusable.yaml", "data_dir: "+file+"/data\nsalt_file: "+file+"/salt\ntimezone: Mars\n"))
	for _, want := range []string{
		"(3 problems)",
		`timezone: "Mars" is not an IANA time zone`,
		"data_dir: " + file + "/data does not exist and cannot be created: " + file + " is not a directory",
		"salt_file: salt file: open " + file + "/salt: not a directory",
	} {
		if code != exitUsage || !strings.Contains(errOut, want) {
			t.Errorf("exit %d, stderr lacks %q:\n%s", code, want, errOut)
		}
	}
}

// TestConfigMergeKeys: YAML anchors and merge keys work as in yaml.v3, an
// own key overriding a merged one.
func TestConfigMergeKeys(t *testing.T) {
	_, err := parseConfig([]byte(`
x-common: &common {department: "92", format: ent, paths: [/var/log/a.log]}
sources:
  - {name: a, entlog: {<<: *common, ent: a}}
  - {name: b, entlog: {<<: [*common], ent: b, format: combined}}
`))
	if err == nil || !strings.Contains(err.Error(), "x-common: unknown key (line 2)") {
		t.Fatalf("err = %v, want only the unknown top-level key", err)
	}
	cfg, err := parseConfig([]byte(`
sources:
  - &a {name: a, entlog: {department: "92", ent: a, format: ent, paths: [/var/log/a.log]}}
  - {<<: *a, name: b}
`))
	if err != nil {
		t.Fatal(err)
	}
	if b := cfg.Sources[1]; b.Name != "b" || b.Entlog == nil || b.Entlog.ENT != "a" || b.Entlog.Format != "ent" {
		t.Fatalf("merged source: %+v", b)
	}
}
