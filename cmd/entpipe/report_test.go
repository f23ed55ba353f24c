package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// TestIntegrationReportCommand: the command reads the config's influx
// section and writes the report, empty data included; bad flags are usage
// errors.
func TestIntegrationReportCommand(t *testing.T) {
	s := influxtest.Start(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "entpipe.yaml")
	yaml := fmt.Sprintf("data_dir: %s\ninflux:\n  url: %s\n  bucket: %s\nsources:\n  - name: ent92\n    entlog:\n      department: \"92\"\n      ent: ent92\n      paths: [x.log]\n",
		dir, s.URL, s.Bucket)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report")
	code, stdout, stderr := runCLI(t, "report", "-config", cfg, "-out", out, "-from", "2020-03-01", "-to", "2020-03-31")
	if code != exitOK || !strings.Contains(stdout, "19 files") {
		t.Fatalf("report: exit %d\n%s%s", code, stdout, stderr)
	}
	html, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil || !strings.Contains(string(html), "Aucune donnée publiable") {
		t.Errorf("index.html of an empty database: %v\n%.300s", err, html)
	}
	for _, args := range [][]string{
		{"report", "-out", out},
		{"report", "-config", cfg, "-out", out, "-day", "30/03/2020"},
		{"report", "-config", cfg, "-out", out, "-from", "2020-04-01", "-to", "2020-03-01"},
	} {
		if code, _, _ := runCLI(t, args...); code != exitUsage {
			t.Errorf("entpipe %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
