package deploy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// TestIntegrationComposeEntpipeRuns runs the compose service's command
// line on its entpipe.yaml, with only the host-specific values replaced
// (InfluxDB URL and database, data and log paths, secrets, the node_exporter
// URL), against a real influxd: the probes the Dockerfile, compose and
// Kubernetes use answer on the listen address, log lines reach InfluxDB as
// page views, and SIGTERM stops it with exit code 0.
func TestIntegrationComposeEntpipeRuns(t *testing.T) {
	influx := influxtest.Start(t)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "ent92-access.log")
	lines := []string{ // two page views in 08:00; later lines close that minute past the reorder window
		`192.0.2.10 - u1 [30/Mar/2020:08:00:01 +0200] "GET /accueil HTTP/1.1" 200 512 "-" "Mozilla/5.0 Firefox/75.0" 0.010 "ELEVE"`,
		`192.0.2.11 - u2 [30/Mar/2020:08:00:30 +0200] "GET /cahier-de-textes HTTP/1.1" 200 900 "-" "Mozilla/5.0 Firefox/75.0" 0.020 "PARENT"`,
		`192.0.2.10 - u1 [30/Mar/2020:08:05:00 +0200] "GET /messagerie HTTP/1.1" 200 700 "-" "Mozilla/5.0 Firefox/75.0" 0.010 "ELEVE"`,
		`192.0.2.11 - u2 [30/Mar/2020:08:10:00 +0200] "GET /messagerie HTTP/1.1" 200 700 "-" "Mozilla/5.0 Firefox/75.0" 0.010 "PARENT"`,
	}
	writeFile(t, logFile, strings.Join(lines, "\n")+"\n")
	token, salt := filepath.Join(dir, "token"), filepath.Join(dir, "salt")
	writeFile(t, token, "")
	writeFile(t, salt, "0123456789abcdef0123456789abcdef")

	var root yaml.Node
	decodeFile(t, "compose/entpipe.yaml", &root)
	set := func(value string, keys ...string) {
		n := lookup(&root, keys...)
		if n == nil {
			t.Fatalf("compose/entpipe.yaml: no %s", strings.Join(keys, "."))
		}
		n.Value = value
	}
	set(filepath.Join(dir, "data"), "data_dir")
	set(salt, "salt_file")
	set(influx.URL, "influx", "url")
	set(influx.Bucket, "influx", "bucket")
	set(token, "influx", "token_file")
	for _, src := range lookup(&root, "sources").Content {
		if p := lookup(src, "entlog", "paths"); p != nil {
			p.Content = []*yaml.Node{{Kind: yaml.ScalarNode, Value: logFile}}
		}
		if p := lookup(src, "infra", "node_exporter"); p != nil {
			p.Content = []*yaml.Node{{Kind: yaml.ScalarNode, Value: "http://127.0.0.1:1/metrics"}}
		}
	}
	out, err := yaml.Marshal(&root)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "entpipe.yaml")
	writeFile(t, cfgPath, string(out))

	var c composeFile
	decodeFile(t, "compose/compose.yaml", &c)
	args := c.Services["entpipe"].Command
	for i := range args {
		switch {
		case i > 0 && args[i-1] == "-config":
			args[i] = cfgPath
		case i > 0 && args[i-1] == "-web.listen-address":
			args[i] = "127.0.0.1:0" // the port is checked elsewhere; tests share the machine
		}
	}
	cmd := exec.Command(entpipeBinary(t), append(args, "-log.format", "json")...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	addr := make(chan string, 1)
	var logs strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			var rec struct{ Msg, Metrics string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "entpipe running" {
				addr <- strings.TrimSuffix(rec.Metrics, "/metrics")
			}
		}
		exited <- cmd.Wait()
	}()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("entpipe log:\n%s", logs.String())
		}
	})

	var base string
	select {
	case base = <-addr:
	case err := <-exited:
		stopped = true
		t.Fatalf("entpipe exited before serving: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("entpipe did not log `entpipe running` within 60s")
	}
	for _, path := range []string{healthPath, readyPath} {
		waitFor(t, path+" answers 200", func() (bool, error) {
			resp, err := http.Get(base + path)
			if err != nil {
				return false, err
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK, fmt.Errorf("status %d", resp.StatusCode)
		})
	}
	waitFor(t, "the 08:00 page views in InfluxDB", func() (bool, error) {
		series, err := influx.Query("SELECT sum(page_views) FROM ent_traffic WHERE ent = 'ent92' AND time < '2020-03-30T06:01:00Z'")
		if err != nil {
			return false, err
		}
		if len(series) != 1 || len(series[0].Values) != 1 {
			return false, fmt.Errorf("got %v", series)
		}
		sum := series[0].Values[0][1]
		return fmt.Sprint(sum) == "2", fmt.Errorf("sum(page_views) = %v, want 2", sum)
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("entpipe after SIGTERM: %v, want exit 0", err)
		}
	case <-time.After(60 * time.Second):
		t.Error("entpipe did not stop within 60s of SIGTERM")
	}
}

// waitFor polls cond until it holds, for at most 60 seconds.
func waitFor(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond) // poll interval, not synchronisation
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
