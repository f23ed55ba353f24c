package prom

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/entpipe/entpipe/collector"
)

func TestCapacityConfig(t *testing.T) {
	f := func(doc string, want ...string) {
		t.Helper()
		var list []Capacity
		dec := yaml.NewDecoder(strings.NewReader(doc))
		dec.KnownFields(true)
		if err := dec.Decode(&list); err != nil {
			t.Fatal(err)
		}
		for i := range list {
			list[i].ApplyDefaults()
		}
		p := collector.NewProblems()
		ValidateCapacities(list, p)
		got := ""
		if err := p.Err(); err != nil {
			got = err.Error()
		}
		if got != strings.Join(want, "\n") {
			t.Errorf("problems:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
		}
	}
	f(`[{department: "92", ent: ent92, visits_per_day: 180000}, {department: "78", ent: oze78, visits_per_day: 30000, peak_hour_ratio: 0.2}]`)
	f(`[{department: "92", ent: ent92, visits_per_day: 0, peak_hour_ratio: 1.5},
	    {ent: Ent92, visits_per_day: 10},
	    {department: "92", ent: ent92, visits_per_day: 5}]`,
		"capacity[0].visits_per_day: must be positive (e.g. 180000)",
		"capacity[0].peak_hour_ratio: 1.5 must be in (0, 1]",
		`capacity[1].department: must be set (e.g. "92")`,
		`capacity[1].ent: "Ent92" is not a slug (lowercase letters, digits, dashes)`,
		`capacity[2]: department "92", ent "ent92" listed twice`)

	var c Capacity
	c.ApplyDefaults()
	if c.PeakHourRatio != DefaultPeakHourRatio {
		t.Errorf("default peak_hour_ratio = %v", c.PeakHourRatio)
	}
}
