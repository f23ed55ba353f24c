package deploy_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"

	"github.com/entpipe/entpipe/exporters/prom/promtest"
)

type composeFile struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build struct {
			Context string `yaml:"context"`
		} `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Secrets     []string          `yaml:"secrets"`
		Ports       []string          `yaml:"ports"`
	} `yaml:"services"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
	Volumes map[string]any `yaml:"volumes"`
}

var composeDefault = regexp.MustCompile(`\$\{[A-Z_]+:-([^}]*)\}`)

// expand applies the defaults of ${VAR:-default}, as compose does when VAR
// is unset.
func expand(s string) string { return composeDefault.ReplaceAllString(s, "$1") }

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	decodeFile(t, "compose/compose.yaml", &c)
	for _, s := range []string{"influxdb", "entpipe-setup", "entpipe", "node-exporter", "prometheus", "alertmanager", "grafana"} {
		if _, ok := c.Services[s]; !ok {
			t.Errorf("compose.yaml: no service %s", s)
		}
	}
	return c
}

// mounts returns a service's volumes as target → source.
func mounts(volumes []string) map[string]string {
	m := map[string]string{}
	for _, v := range volumes {
		parts := strings.Split(expand(v), ":")
		if len(parts) >= 2 {
			m[parts[1]] = parts[0]
		}
	}
	return m
}

// TestComposeReferences: every bind-mounted file and the build context
// exist; secrets and the log folder are made by init-secrets.sh; no
// password or token is given inline.
func TestComposeReferences(t *testing.T) {
	c := loadCompose(t)
	initScript := readFile(t, "compose/init-secrets.sh")
	loop := regexp.MustCompile(`(?m)^for name in ([^;]+);`).FindStringSubmatch(initScript)
	if loop == nil {
		t.Fatal("init-secrets.sh: no `for name in …;` loop")
	}
	created := strings.Fields(loop[1])
	for name, s := range c.Secrets {
		if s.File != "./secrets/"+name || !slices.Contains(created, name) {
			t.Errorf("secret %s: file %q, want ./secrets/%s created by init-secrets.sh", name, s.File, name)
		}
	}
	for name, svc := range c.Services {
		for target, source := range mounts(svc.Volumes) {
			switch {
			case source == "./logs":
				if !strings.Contains(initScript, "mkdir -p secrets logs") {
					t.Errorf("%s: %s is not created by init-secrets.sh", name, source)
				}
			case strings.HasPrefix(source, "."):
				mustExist(t, name+" volume "+source+" ("+target+")", filepath.Join("compose", source))
			case !strings.HasPrefix(source, "/"):
				if _, ok := c.Volumes[source]; !ok {
					t.Errorf("%s: named volume %s not declared", name, source)
				}
			}
		}
		for _, s := range svc.Secrets {
			if _, ok := c.Secrets[s]; !ok {
				t.Errorf("%s: secret %s not declared", name, s)
			}
		}
		for k, v := range svc.Environment {
			if (strings.Contains(k, "PASSWORD") || strings.Contains(k, "TOKEN")) && !strings.HasSuffix(k, "_FILE") {
				t.Errorf("%s: %s=%q is a secret given inline, want a *_FILE", name, k, v)
			}
		}
		if svc.Build.Context != "" {
			mustExist(t, name+" build context", filepath.Join("compose", svc.Build.Context, "Dockerfile"))
		}
	}
}

// TestComposeEntpipe: the entpipe services run the image of the Kubernetes
// base, on the code's port, with a configuration entpipe accepts whose
// secrets and InfluxDB settings are those the stack provides.
func TestComposeEntpipe(t *testing.T) {
	c := loadCompose(t)
	for _, name := range []string{"entpipe", "entpipe-setup"} {
		if got := expand(c.Services[name].Image); got != image+":"+imageTag {
			t.Errorf("%s: image %q, want %s:%s", name, got, image, imageTag)
		}
	}
	e := c.Services["entpipe"]
	if i := slices.Index(e.Command, "-web.listen-address"); i < 0 || e.Command[i+1] != ":"+metricsPort {
		t.Errorf("entpipe command %q: want -web.listen-address :%s", e.Command, metricsPort)
	}
	if !slices.Contains(e.Ports, "127.0.0.1:"+metricsPort+":"+metricsPort) {
		t.Errorf("entpipe ports %q: want %s published", e.Ports, metricsPort)
	}
	for _, name := range []string{"entpipe", "entpipe-setup"} {
		svc := c.Services[name]
		checkArgs(t, name, svc.Command)
		i := slices.Index(svc.Command, "-config")
		if i < 0 || mounts(svc.Volumes)[svc.Command[i+1]] != "./entpipe.yaml" {
			t.Errorf("%s: -config is not the mounted ./entpipe.yaml (command %q)", name, svc.Command)
		}
	}

	token, salt := checkConfig(t, "compose/entpipe.yaml")
	for svc, files := range map[string][]string{"entpipe": {token, salt}, "entpipe-setup": {token}} {
		for _, f := range files {
			if name, ok := strings.CutPrefix(f, "/run/secrets/"); !ok || !slices.Contains(c.Services[svc].Secrets, name) {
				t.Errorf("%s: config file %s is not one of its secrets %q", svc, f, c.Services[svc].Secrets)
			}
		}
	}

	var cfg struct {
		Influx struct{ URL, Org, Bucket string } `yaml:"influx"`
	}
	decodeFile(t, "compose/entpipe.yaml", &cfg)
	env := c.Services["influxdb"].Environment
	if cfg.Influx.Org != env["DOCKER_INFLUXDB_INIT_ORG"] || cfg.Influx.Bucket != env["DOCKER_INFLUXDB_INIT_BUCKET"] {
		t.Errorf("entpipe writes to org %q bucket %q, InfluxDB is set up with %q %q", cfg.Influx.Org, cfg.Influx.Bucket, env["DOCKER_INFLUXDB_INIT_ORG"], env["DOCKER_INFLUXDB_INIT_BUCKET"])
	}
	if env["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN_FILE"] != token {
		t.Errorf("InfluxDB token file %q, entpipe reads %q", env["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN_FILE"], token)
	}
	if u, err := url.Parse(cfg.Influx.URL); err != nil || u.Host != "influxdb:8086" {
		t.Errorf("influx.url %q: want the influxdb service", cfg.Influx.URL)
	}
}

// TestComposeGrafana: the compose datasources are deploy/grafana's with
// the stack's URLs, and the dashboards are mounted where the provider reads.
func TestComposeGrafana(t *testing.T) {
	type datasources struct {
		Datasources []struct {
			Name, UID, Type, URL string
			JSONData             map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	var ours, base datasources
	decodeFile(t, "compose/grafana/datasources.yaml", &ours)
	decodeFile(t, "grafana/provisioning/datasources/entpipe.yaml", &base)
	if len(ours.Datasources) != len(base.Datasources) {
		t.Fatalf("%d datasources, deploy/grafana has %d", len(ours.Datasources), len(base.Datasources))
	}
	for i, d := range ours.Datasources {
		b := base.Datasources[i]
		if d.Name != b.Name || d.UID != b.UID || d.Type != b.Type || d.JSONData["dbName"] != b.JSONData["dbName"] {
			t.Errorf("datasource %d: %s/%s/%s db %v, deploy/grafana has %s/%s/%s db %v", i, d.Name, d.UID, d.Type, d.JSONData["dbName"], b.Name, b.UID, b.Type, b.JSONData["dbName"])
		}
		if u, err := url.Parse(d.URL); err != nil || !slices.Contains([]string{"influxdb:8086", "prometheus:9090"}, u.Host) {
			t.Errorf("datasource %s: URL %q is not a compose service", d.Name, d.URL)
		}
	}
	var provider struct {
		Providers []struct {
			Options struct{ Path string } `yaml:"options"`
		} `yaml:"providers"`
	}
	decodeFile(t, "grafana/provisioning/dashboards/entpipe.yaml", &provider)
	m := mounts(loadCompose(t).Services["grafana"].Volumes)
	if len(provider.Providers) != 1 || m[provider.Providers[0].Options.Path] != "../grafana/dashboards" {
		t.Errorf("grafana mounts %v; the dashboard provider reads %+v", m, provider.Providers)
	}
}

// TestIntegrationPromtoolComposeConfig checks the compose Prometheus
// configuration, with deploy/prometheus/rules where compose mounts them,
// and that it scrapes the entpipe service on the code's port.
func TestIntegrationPromtoolComposeConfig(t *testing.T) {
	c := loadCompose(t)
	m := mounts(c.Services["prometheus"].Volumes)
	if m["/etc/prometheus/prometheus.yml"] != "./prometheus.yml" || m["/etc/prometheus/rules"] != "../prometheus/rules" {
		t.Fatalf("prometheus mounts %v: want ./prometheus.yml and ../prometheus/rules in /etc/prometheus", m)
	}
	conf := readFile(t, "compose/prometheus.yml")
	for _, target := range []string{`"entpipe:` + metricsPort + `"`, `"alertmanager:9093"`, `"node-exporter:9100"`} {
		if !strings.Contains(conf, "targets: ["+target+"]") {
			t.Errorf("compose/prometheus.yml: no target %s", target)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	rules, err := filepath.Abs("prometheus/rules")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(rules, filepath.Join(dir, "rules")); err != nil {
		t.Fatal(err)
	}
	out := promtest.Promtool(t, "check", "config", filepath.Join(dir, "prometheus.yml"))
	n := regexp.MustCompile(`SUCCESS: (\d+) rules found`).FindAllStringSubmatch(out, -1)
	if len(n) != len(glob(t, "prometheus/rules/*.rules.yml")) {
		t.Errorf("promtool check config did not load every rule file:\n%s", out)
	}
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("glob %s: %v, %d files", pattern, err, len(files))
	}
	return files
}

// TestComposeSpec loads compose.yaml with compose-go, the loader of
// `docker compose` itself: schema validation (an unknown or misspelt key
// fails), interpolation with the defaults of the environment variables.
func TestComposeSpec(t *testing.T) {
	opts, err := cli.NewProjectOptions([]string{"compose/compose.yaml"}, cli.WithWorkingDirectory("compose"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, name := range []string{"entpipe", "entpipe-setup"} {
		if s, ok := p.Services[name]; !ok || s.Image != image+":"+imageTag {
			t.Errorf("%s: image %q, want %s:%s", name, s.Image, image, imageTag)
		}
	}
	if len(p.Secrets) != len(loadCompose(t).Secrets) {
		t.Errorf("compose-go sees %d secrets", len(p.Secrets))
	}
}
