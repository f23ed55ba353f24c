package infra

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// This file starts the real peers of the integration tests: node_exporter
// and nginx (Debian packages prometheus-node-exporter and nginx).

// requireBinary returns the first existing path of a peer binary. When none
// exists the test is skipped, unless $ENTPIPE_INTEGRATION is "require" or
// $CI is "true": then it fails, so CI never counts a skip as a pass.
func requireBinary(t *testing.T, pkg string, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if found, err := exec.LookPath(p); err == nil {
			return found
		}
	}
	msg := fmt.Sprintf("%s not found (%v): run `make tools` (Debian package %s)", filepath.Base(paths[0]), paths, pkg)
	if os.Getenv("ENTPIPE_INTEGRATION") == "require" || os.Getenv("CI") == "true" {
		t.Fatal(msg + " (integration tests are required here)")
	}
	t.Skip(msg)
	return ""
}

// inheritedListener listens on a loopback port the kernel picks and
// returns the socket as a file for a peer to inherit (socket activation)
// with its address. The peer serves the test's own socket: no other process
// can take the port between a choice and a bind, as with a port that was
// free a moment ago.
func inheritedListener(t *testing.T) (*os.File, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close() // the file is a duplicate: the socket stays open with it
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, l.Addr().String()
}

// startPeer runs cmd, stops it with t.Cleanup, and waits until url answers
// 200 through client (so later requests reuse its connection). The peer's
// output goes to log in the test's temporary directory.
func startPeer(t *testing.T, client *http.Client, url, logPath string, cmd *exec.Cmd) {
	t.Helper()
	bin := cmd.Path
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{}) // closed once cmd has exited
	var waitErr error
	go func() { waitErr = cmd.Wait(); logf.Close(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			_, _, _ = readCapped(resp.Body, 1<<20)
			resp.Body.Close()
		}
		cancel()
		if err == nil && resp.StatusCode == http.StatusOK {
			return
		}
		select {
		case <-exited:
			out, _ := os.ReadFile(logPath)
			t.Fatalf("%s exited at start (%v):\n%s", bin, waitErr, out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logPath)
			t.Fatalf("%s did not answer %s within 20s:\n%s", bin, url, out)
		}
	}
}

// startNodeExporter runs node_exporter on a loopback socket of the test
// (systemd socket activation: LISTEN_FDS, and LISTEN_PID set by a shell
// that then becomes node_exporter) with the collectors infra reads, every
// network device, loopback included, and returns its /metrics URL.
func startNodeExporter(t *testing.T, client *http.Client) string {
	t.Helper()
	bin := requireBinary(t, "prometheus-node-exporter", "/usr/bin/prometheus-node-exporter", "prometheus-node-exporter", "node_exporter")
	sock, addr := inheritedListener(t)
	url := "http://" + addr + "/metrics"
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"`, bin,
		"--web.systemd-socket", "--collector.disable-defaults",
		"--collector.cpu", "--collector.meminfo", "--collector.loadavg", "--collector.stat",
		"--collector.diskstats", "--collector.netdev", "--collector.netdev.device-exclude=^$")
	cmd.ExtraFiles = []*os.File{sock} // fd 3, the first systemd passes
	startPeer(t, client, url, filepath.Join(t.TempDir(), "node_exporter.log"), cmd)
	return url
}

// startNginx runs nginx on a loopback socket of the test (inherited the
// way nginx passes its sockets to a new binary: $NGINX lists their file
// descriptors; the listen directive names the same address) with
// everything in a temporary directory, stub_status at /nginx_status and
// "ok" elsewhere, and returns its base URL.
func startNginx(t *testing.T, client *http.Client) string {
	t.Helper()
	bin := requireBinary(t, "nginx", "/usr/sbin/nginx", "nginx")
	dir := t.TempDir()
	sock, addr := inheritedListener(t)
	user := "" // workers of a root master would drop to nobody, who cannot write dir
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	conf := fmt.Sprintf(`daemon off;
%s
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path %[2]s/client_body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	keepalive_timeout 60s;
	server {
		listen %[3]s;
		location = /nginx_status { stub_status; }
		location / { return 200 "ok\n"; }
	}
}
`, user, dir, addr)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr
	cmd := exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", confPath)
	cmd.ExtraFiles = []*os.File{sock} // fd 3
	cmd.Env = append(os.Environ(), "NGINX=3;")
	startPeer(t, client, base+"/nginx_status", filepath.Join(dir, "stderr.log"), cmd)
	return base
}
