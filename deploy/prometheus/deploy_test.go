// Package prometheus_test checks the Prometheus deployment files with the
// real promtool: configuration, rules, and the rule unit tests, plus the
// conventions promtool cannot see (annotations, a firing and a silent test
// case and a README section for every alert).
package prometheus_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/entpipe/entpipe/exporters/prom/promtest"
)

func TestIntegrationPromtoolCheckConfig(t *testing.T) {
	out := promtest.Promtool(t, "check", "config", "prometheus.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool check config:\n%s", out)
	}
}

func TestIntegrationPromtoolCheckRules(t *testing.T) {
	files := glob(t, "rules/*.rules.yml")
	promtest.Promtool(t, append([]string{"check", "rules"}, files...)...)
}

func TestIntegrationPromtoolTestRules(t *testing.T) {
	files := glob(t, "rules/*.rules_test.yml")
	if len(files) != len(glob(t, "rules/*.rules.yml")) {
		t.Errorf("want one test file per rule file, got %v", files)
	}
	promtest.Promtool(t, append([]string{"test", "rules"}, files...)...)
}

type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Annotations map[string]string `yaml:"annotations"`
			Labels      map[string]string `yaml:"labels"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

type testFile struct {
	Tests []struct {
		AlertRuleTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// TestAlertConventions checks that every alert has a severity, the three
// annotations, a README section its runbook_url points to, and unit tests
// where it fires and where it does not.
func TestAlertConventions(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, f := range glob(t, "rules/*.rules_test.yml") {
		var tf testFile
		decode(t, f, &tf)
		for _, tg := range tf.Tests {
			for _, a := range tg.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					fires[a.Alertname] = true
				} else {
					silent[a.Alertname] = true
				}
			}
		}
	}
	anchor := regexp.MustCompile(`README\.md#([a-z0-9-]+)$`)
	alerts := 0
	for _, f := range glob(t, "rules/*.rules.yml") {
		var rf ruleFile
		decode(t, f, &rf)
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				alerts++
				switch r.Labels["severity"] {
				case "critical", "warning", "info":
				default:
					t.Errorf("%s: severity %q, want critical, warning or info", r.Alert, r.Labels["severity"])
				}
				for _, k := range []string{"summary", "description", "runbook_url"} {
					if r.Annotations[k] == "" {
						t.Errorf("%s: no %s annotation", r.Alert, k)
					}
				}
				m := anchor.FindStringSubmatch(r.Annotations["runbook_url"])
				if m == nil || m[1] != strings.ToLower(r.Alert) {
					t.Errorf("%s: runbook_url %q does not point to README.md#%s", r.Alert, r.Annotations["runbook_url"], strings.ToLower(r.Alert))
				}
				if !strings.Contains(string(readme), "\n### "+r.Alert+"\n") {
					t.Errorf("%s: no \"### %s\" section in README.md", r.Alert, r.Alert)
				}
				if !fires[r.Alert] || !silent[r.Alert] {
					t.Errorf("%s: unit tests where it fires: %v, where it is silent: %v; want both", r.Alert, fires[r.Alert], silent[r.Alert])
				}
			}
		}
	}
	if alerts == 0 {
		t.Fatal("no alert found")
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

func decode(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
