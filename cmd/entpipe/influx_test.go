package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// TestIntegrationInfluxSetup runs `entpipe influx setup` twice against a
// real influxd: both succeed and the retention policy is the default one.
func TestIntegrationInfluxSetup(t *testing.T) {
	s := influxtest.Start(t)
	conf := filepath.Join(t.TempDir(), "entpipe.yaml")
	yaml := "influx: {url: " + s.URL + ", bucket: ent92/deux_ans, retention: 17520h}\n" +
		"sources: [{name: e, enseigno: {department: \"92\"}}]\n"
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if code, out, errOut := runCLI(t, "influx", "setup", "-config", conf); code != exitOK || !strings.Contains(out, "bucket ent92/deux_ans ready, retention 17520h0m0s") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
		}
	}
	ok := false
	for _, row := range s.MustQuery(`SHOW RETENTION POLICIES ON "ent92"`)[0].Values {
		ok = ok || row[0] == "deux_ans" && row[1] == "17520h0m0s" && row[4] == true
	}
	if !ok {
		t.Error("retention policy deux_ans (17520h, default) missing")
	}
	f := func(wantCode int, wantErr string, args ...string) {
		t.Helper()
		if code, _, errOut := runCLI(t, args...); code != wantCode || !strings.Contains(errOut, wantErr) {
			t.Errorf("entpipe %v: exit %d, stderr %s", args, code, errOut)
		}
	}
	f(exitUsage, "Usage: entpipe influx setup", "influx")
	f(exitUsage, "Usage: entpipe influx setup", "influx", "drop")
	f(exitUsage, "Usage: entpipe influx setup -config FILE", "influx", "setup")
	f(exitUsage, "read config", "influx", "setup", "-config", conf+".missing")
}
