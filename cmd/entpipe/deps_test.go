package main

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/entpipe/entpipe"

// TestDependencyRules enforces docs/design.md#packages-and-dependency-rules: collector is
// standard library only; a collector never imports another collector or an
// exporter; an exporter imports no other exporter; only dashboards imports
// the Grafana SDKs (grafana-tools/sdk, grafana-foundation-sdk); nothing
// imports cmd.
func TestDependencyRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", module+"/collector").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, std, _ := strings.Cut(line, " ")
		if std != "true" && path != module+"/collector" {
			t.Errorf("collector depends on %s; it must use the standard library only", path)
		}
	}

	out, err = exec.Command("go", "list", "-test", "-f", `{{.ImportPath}}|{{join .Imports " "}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, "|")
		pkg, _, _ = strings.Cut(pkg, " ") // "p [p.test]": p compiled with its tests
		if strings.HasSuffix(pkg, ".test") {
			continue // the generated test main imports the package under test
		}
		checked++
		for _, imp := range strings.Fields(imports) {
			if msg := violation(pkg, imp); msg != "" {
				t.Errorf("%s imports %s: %s", pkg, imp, msg)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d packages listed; the rule check is not looking at the module", checked)
	}
}

// violation says why pkg may not import imp, or "".
func violation(pkg, imp string) string {
	rel := func(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, module), "/") }
	p, i := strings.TrimSuffix(rel(pkg), "_test"), rel(imp) // an external test package is its package
	ours := strings.HasPrefix(imp, module)
	switch {
	case (strings.HasPrefix(imp, "github.com/grafana-tools/sdk") || strings.HasPrefix(imp, "github.com/grafana/grafana-foundation-sdk")) &&
		!strings.HasPrefix(p, "dashboards"):
		return "only dashboards may use the Grafana SDKs"
	case !ours:
		return ""
	case strings.HasPrefix(i, "cmd") && !strings.HasPrefix(p, "cmd/"):
		return "nothing outside cmd imports cmd"
	case strings.HasPrefix(p, "collector/") && !strings.HasPrefix(p, "collector/collectortest"):
		kind := strings.Split(p, "/")[1]
		switch {
		case strings.HasPrefix(i, "exporters") && !strings.HasPrefix(i, "exporters/influx/influxtest") ||
			strings.HasPrefix(i, "dashboards"):
			return "a collector never imports an exporter or dashboards (influxtest, for integration tests, excepted)"
		case strings.HasPrefix(i, "collector/") && !strings.HasPrefix(i, "collector/"+kind) &&
			!strings.HasPrefix(i, "collector/internal") && !strings.HasPrefix(i, "collector/collectortest"):
			return "a collector never imports another collector"
		}
	case strings.HasPrefix(p, "exporters/"):
		kind := strings.Split(p, "/")[1]
		if strings.HasPrefix(i, "exporters/") && !strings.HasPrefix(i, "exporters/"+kind) ||
			strings.HasPrefix(i, "dashboards") ||
			strings.HasPrefix(i, "collector/") && !strings.HasPrefix(i, "collector/collectortest") {
			return "an exporter imports only collector and its client"
		}
	case strings.HasPrefix(p, "dashboards"):
		if i != "collector" && !strings.HasPrefix(i, "dashboards") && !strings.HasPrefix(i, "exporters/influx/influxtest") {
			return "dashboards import only collector (schema names)"
		}
	}
	return ""
}

func TestDependencyRuleViolations(t *testing.T) {
	f := func(pkg, imp string, bad bool) {
		t.Helper()
		if got := violation(module+"/"+pkg, imp) != ""; got != bad {
			t.Errorf("violation(%s, %s) = %v, want %v", pkg, imp, got, bad)
		}
	}
	f("collector/entlog", module+"/collector", false)
	f("collector/entlog", module+"/collector/enseigno", true)
	f("collector/entlog", module+"/exporters/influx", true)
	f("collector/entlog", module+"/collector/entlog/internal/x", false)
	f("exporters/prom", module+"/exporters/influx", true)
	f("exporters/influx", "github.com/influxdata/influxdb-client-go/v2", false)
	f("exporters/influx_test", module+"/exporters/influx/influxtest", false)
	f("exporters/influx_test", module+"/exporters/prom", true)
	f("collector/infra", "github.com/grafana-tools/sdk", true)
	f("dashboards", "github.com/grafana-tools/sdk", false)
	f("dashboards", "github.com/grafana/grafana-foundation-sdk/go/dashboard", false)
	f("exporters/prom", "github.com/grafana/grafana-foundation-sdk/go/dashboard", true)
	f("exporters/influx", module+"/cmd/entpipe", true)
	f("cmd/entpipe", module+"/cmd/entpipe/internal/simulate", false)
}
