// Package alertmanager_test checks the example Alertmanager configuration
// with the real amtool: it loads, and alerts reach the intended receivers.
package alertmanager_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/entpipe/entpipe/exporters/prom/promtest"
)

func TestIntegrationAmtoolRoutes(t *testing.T) {
	amtool := promtest.Require(t, "amtool")
	if out, err := exec.Command(amtool, "check-config", "alertmanager.yml").CombinedOutput(); err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
	for _, c := range []struct{ labels, want string }{
		{"alertname=ENTVisitsOverCapacity severity=critical ent=ent92", "astreinte,exploitation-mail"},
		{"alertname=NodeCPUHighUsage severity=warning", "exploitation-mail"},
		{"alertname=EntpipeLabelOverflow severity=info", "tickets"},
	} {
		args := append([]string{"config", "routes", "test", "--config.file=alertmanager.yml"}, strings.Fields(c.labels)...)
		out, err := exec.Command(amtool, args...).Output() // stderr holds a warning about --alertmanager.url
		if got := strings.TrimSpace(string(out)); err != nil || got != c.want {
			t.Errorf("route of %s = %q (%v), want %q", c.labels, got, err, c.want)
		}
	}
}
