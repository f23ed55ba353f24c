package infra

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/entpipe/entpipe/collector"
)

// TestExampleConfig decodes example.yaml strictly, as entpipe does, and
// checks it is valid and builds a Source.
func TestExampleConfig(t *testing.T) {
	f, err := os.Open("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cfg Config
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	cfg.ApplyDefaults()
	p := collector.NewProblems()
	cfg.Validate(p)
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cfg.NodeExporter) == 0 || len(cfg.StubStatus) == 0 || len(cfg.ApacheStatus) == 0 || len(cfg.Probes) == 0 {
		t.Errorf("example.yaml should show every kind of target: %+v", cfg)
	}
	if _, err := New("front92", cfg, Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestValidate lists every problem of a bad section at once, with its path.
func TestValidate(t *testing.T) {
	f := func(name string, cfg Config, want ...string) {
		t.Run(name, func(t *testing.T) {
			p := collector.NewProblems()
			cfg.Validate(p.At("infra"))
			var got []string
			if err := p.Err(); err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
	site := collector.Site{Department: "92", ENT: "ent92"}
	f("valid", Config{Site: site, NodeExporter: []string{"http://h:9100/metrics"}})
	f("valid before defaults", Config{Site: site, Probes: []Probe{{Name: "login", URL: "https://ent/"}}})
	f("empty", Config{Site: site}, "infra: must list at least one of node_exporter, stub_status, apache_status, probes")
	f("everything wrong", Config{
		Site:         collector.Site{Department: "92"},
		NodeExporter: []string{"h:9100", "http://a:9100/metrics", "http://a:9100/metrics"},
		StubStatus:   []string{"ftp://x/", "http://w/status"},
		ApacheStatus: []string{"http://w/server-status?auto"},
		HostLabels:   map[string]string{"http://a:9100/metrics": "web 1", "http://b/": "b"},
		Interfaces:   Interfaces{Include: "(eth"},
		Probes: []Probe{
			{Name: "Login", URL: "http://ent/", ExpectStatus: 700, BodyMatch: "[", Timeout: -1},
			{Name: "cas", URL: "/relative"}, {Name: "cas", URL: "https://ent/cas"},
		},
		Timeout:     -1,
		MaxBodySize: -1,
	},
		`infra.ent: must be set (e.g. "ent92")`,
		`infra.node_exporter: [0] "h:9100" is not an http(s) URL`,
		`infra.node_exporter: [2] "http://a:9100/metrics": host "web 1" already has a node_exporter URL (tell them apart with host_labels)`,
		`infra.stub_status: [0] "ftp://x/" is not an http(s) URL`,
		`infra.apache_status: [0] "http://w/server-status?auto": host "w" already has a web-server status URL (tell them apart with host_labels)`,
		`infra.host_labels: "http://a:9100/metrics": label "web 1" must be letters, digits, '.', ':', '-' or '_' (at most 63)`,
		`infra.host_labels: "http://b/" is not one of the scraped URLs`,
		"infra.interfaces.include: error parsing regexp: missing closing ): `(eth`",
		`infra.probes[0].name: "Login" must be a slug (lowercase letters, digits, dashes)`,
		`infra.probes[0].expect_status: 700 is not an HTTP status`,
		"infra.probes[0].body_match: error parsing regexp: missing closing ]: `[`",
		`infra.probes[0].timeout: must be positive (or unset for the default)`,
		`infra.probes[1].url: "/relative" is not an http(s) URL`,
		`infra.probes[2].name: "cas" is used twice`,
		`infra.timeout: must be positive (or unset for the default)`,
		`infra.max_body_size: must be within 1 and 1073741824 bytes (or unset for the default)`,
	)
	f("passwords masked", Config{Site: site, StubStatus: []string{"ftp://ops:s3cret@w/status"},
		Probes: []Probe{{Name: "cas", URL: "https//ops:s3cret@ent/cas"}}},
		`infra.stub_status: [0] "ftp://ops:xxxxx@w/status" is not an http(s) URL`,
		`infra.probes[0].url: "https//ops:xxxxx@ent/cas" is not an http(s) URL`,
	)
}

// TestNewRejectsInvalidConfig checks New validates what it is given.
func TestNewRejectsInvalidConfig(t *testing.T) {
	_, err := New("front92", Config{}, Options{})
	if err == nil || !strings.Contains(err.Error(), "infra front92: invalid config") {
		t.Fatalf("err %v, want an invalid config error", err)
	}
}
