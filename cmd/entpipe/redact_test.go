package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// TestIntegrationURLPasswordNeverPrinted: a password in influx.url is
// masked in everything influx setup, import and run print or log, whether
// InfluxDB answers or not (errors wrapping the client's url.Error
// included).
func TestIntegrationURLPasswordNeverPrinted(t *testing.T) {
	s := influxtest.Start(t)
	l, _ := pageViewLogs(t)
	var printed strings.Builder
	check := func(what, out string, want ...string) {
		t.Helper()
		printed.WriteString(out)
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", what, w, out)
			}
		}
	}

	up := writeConfig(t, t.TempDir(), strings.Replace(s.URL, "http://", "http://admin:s3cret@", 1), s.Bucket, []*liveLog{l})
	code, out, errOut := runCLI(t, "influx", "setup", "-config", up)
	check("influx setup", out+errOut, "http://admin:xxxxx@127.0.0.1:")
	if code != exitOK {
		t.Errorf("influx setup: exit %d", code)
	}
	code, out, errOut = runCLI(t, append([]string{"import", "-config", up, "-progress", "never"}, l.files()...)...)
	check("import", out+errOut, "written to InfluxDB: http://admin:xxxxx@127.0.0.1:")
	if code != exitOK {
		t.Errorf("import: exit %d", code)
	}

	down := writeConfig(t, t.TempDir(), "http://admin:s3cret@127.0.0.1:1", s.Bucket, []*liveLog{l})
	_, out, errOut = runCLI(t, "influx", "setup", "-config", down)
	check("influx setup, InfluxDB unreachable", out+errOut, "http://admin:***@127.0.0.1:1", "connection refused") // net/http's mask
	check("run, InfluxDB unreachable", runUntilLogged(t, down, "influxdb write failed"),
		`msg="entpipe running"`, "influx=http://admin:xxxxx@127.0.0.1:1", "connection refused")
	if strings.Contains(printed.String(), "s3cret") {
		t.Errorf("the password is printed:\n%s", printed.String())
	}
}

// runUntilLogged runs `entpipe run -config config` in this process until
// its log holds want, then stops it and returns its whole stderr.
func runUntilLogged(t *testing.T, config, want string) string {
	t.Helper()
	logf, err := os.Create(filepath.Join(t.TempDir(), "run.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"run", "-config", config, "-web.listen-address", "127.0.0.1:0", "-shutdown-timeout", "1s"},
			&stdio{in: strings.NewReader(""), out: logf, err: logf})
	}()
	deadline := time.Now().Add(time.Minute)
	for {
		text, err := os.ReadFile(logf.Name())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(text), want) {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("run exited %d before logging %q:\n%s", code, want, text)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("run did not log %q within a minute:\n%s", want, text)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	text, err := os.ReadFile(logf.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(text)
}
