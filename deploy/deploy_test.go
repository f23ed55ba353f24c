// Package deploy_test checks the deployment files (Dockerfile, compose
// stack, systemd unit, Kubernetes base) without a container engine or a
// cluster: they parse, every file they reference exists, they agree with
// each other and with the code on the image, port, paths and secrets, the
// entpipe configurations pass entpipe's own strict loader (`entpipe check`),
// and the real tools (promtool, kubectl kustomize, systemd-analyze, file,
// ldd) accept them.
package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/entpipe/entpipe/exporters/prom"
)

// The contract every deployment file must agree with.
const (
	image       = "ghcr.io/entpipe/entpipe" // repository of the image, in compose and kustomize
	imageTag    = "dev"                     // the default tag of both
	metricsPort = "9489"                    // prom.DefaultListenAddress
	healthPath  = "/-/healthy"
	readyPath   = "/-/ready"
)

func TestMetricsPortIsTheCodeDefault(t *testing.T) {
	if prom.DefaultListenAddress != ":"+metricsPort {
		t.Fatalf("prom.DefaultListenAddress = %q, the deployment files use :%s", prom.DefaultListenAddress, metricsPort)
	}
}

// TestYAMLParses decodes every YAML document of the deploy folder.
func TestYAMLParses(t *testing.T) {
	n := 0
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(path) != ".yml" && filepath.Ext(path) != ".yaml") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc yaml.Node
			if err := dec.Decode(&doc); err != nil {
				if err.Error() != "EOF" {
					t.Errorf("%s: %v", path, err)
				}
				break
			}
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("found %d YAML files, want the whole deploy folder", n)
	}
}

// requireTool returns the path of tool; a missing tool skips the test
// unless integration tests are required (ENTPIPE_INTEGRATION=require or
// CI=true), where it fails with how to install it.
func requireTool(t *testing.T, tool, install string) string {
	t.Helper()
	if p, err := exec.LookPath(tool); err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found (%s)", tool, install)
	if os.Getenv("ENTPIPE_INTEGRATION") == "require" || os.Getenv("CI") == "true" {
		t.Fatal(msg + ": integration tests are required here")
	}
	t.Skip(msg)
	return ""
}

var binary struct {
	once sync.Once
	path string
	out  []byte
	err  error
}

// testVersion and testRevision are baked into the test binary, to check
// that the Dockerfile's -ldflags set them.
const testVersion, testRevision = "v0.0.0-deploytest", "0123abc"

// entpipeBinary builds cmd/entpipe once per test run with the Dockerfile's
// flags and version, into a directory removed at the end of TestMain's run.
func entpipeBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		env, args := dockerfileBuild(t, testVersion, testRevision)
		dir, err := os.MkdirTemp("", "entpipe-deploy-test-")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "entpipe")
		args = append(args, "-o", binary.path, "./cmd/entpipe")
		cmd := exec.Command("go", args...)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), env...)
		binary.out, binary.err = cmd.CombinedOutput()
	})
	if binary.err != nil {
		t.Fatalf("go build with the Dockerfile's flags: %v\n%s", binary.err, binary.out)
	}
	return binary.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.path != "" {
		os.RemoveAll(filepath.Dir(binary.path))
	}
	os.Exit(code)
}

// checkConfig runs `entpipe check` on a copy of the configuration at path
// whose secret files (token_file, salt_file: mounted secrets that do not
// exist here) point to temporary files, and whose data_dir (a mounted
// volume, which check must be able to write) to a temporary directory;
// everything else is the file as shipped. It returns the secret paths the
// file names, for mount checks.
func checkConfig(t *testing.T, path string) (tokenFile, saltFile string) {
	t.Helper()
	var root yaml.Node
	decodeFile(t, path, &root)
	dir := t.TempDir()
	secret := func(keyPath ...string) string {
		n := lookup(&root, keyPath...)
		if n == nil || n.Value == "" {
			t.Fatalf("%s: no %s", path, strings.Join(keyPath, "."))
		}
		orig := n.Value
		n.Value = filepath.Join(dir, filepath.Base(orig))
		if err := os.WriteFile(n.Value, []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
			t.Fatal(err)
		}
		return orig
	}
	tokenFile, saltFile = secret("influx", "token_file"), secret("salt_file")
	dataDir := lookup(&root, "data_dir")
	if dataDir == nil {
		t.Fatalf("%s: no data_dir", path)
	}
	dataDir.Value = filepath.Join(dir, "data")
	out, err := yaml.Marshal(&root)
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(dir, "entpipe.yaml")
	if err := os.WriteFile(copyPath, out, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := exec.Command(entpipeBinary(t), "check", "-config", copyPath).CombinedOutput()
	if err != nil {
		t.Errorf("entpipe check %s: %v\n%s", path, err, res)
	}
	return tokenFile, saltFile
}

// lookup follows mapping keys from a document node; nil when absent.
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, k := range keys {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

func decodeFile(t *testing.T, path string, v any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(readFile(t, path)), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func mustExist(t *testing.T, what, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// checkArgs runs `entpipe <command> -help` for the command line args (as
// given after the binary) and fails unless every flag in args is one the
// command lists: the deployment files call flags that exist.
func checkArgs(t *testing.T, where string, args []string) {
	t.Helper()
	if len(args) == 0 {
		t.Errorf("%s: no entpipe command line", where)
		return
	}
	cmd := args[:1]
	if args[0] == "influx" && len(args) > 1 {
		cmd = args[:2]
	}
	out, err := exec.Command(entpipeBinary(t), append(slices.Clone(cmd), "-help")...).CombinedOutput()
	if err != nil {
		t.Errorf("%s: entpipe %s -help: %v\n%s", where, strings.Join(cmd, " "), err, out)
		return
	}
	for _, a := range args[len(cmd):] {
		flag := "\n  " + strings.SplitN(a, "=", 2)[0]
		if strings.HasPrefix(a, "-") && !strings.Contains(string(out), flag+" ") && !strings.Contains(string(out), flag+"\n") {
			t.Errorf("%s: entpipe %s has no flag %s", where, strings.Join(cmd, " "), a)
		}
	}
}
