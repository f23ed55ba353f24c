package prom

import (
	"fmt"

	"github.com/entpipe/entpipe/collector"
)

// DefaultPeakHourRatio is the share of a day's visits the busiest hour may
// carry when Capacity.PeakHourRatio is not set: ENT traffic piles up at the
// start of the school day (the bulletin's Monday 8:00 peak).
const DefaultPeakHourRatio = 0.15

// Capacity is one item of the configuration's `capacity:` list: what an ENT
// platform is sized for. It is exported as the ent_capacity_* gauges so the
// alert rules compare live load with configuration, not with numbers
// written in the rules.
type Capacity struct {
	collector.Site `yaml:",inline"`
	// VisitsPerDay is the daily number of visits the platform is sized for
	// (180,000 for ENT 92 in 2020).
	VisitsPerDay float64 `yaml:"visits_per_day"`
	// PeakHourRatio is the share of VisitsPerDay the busiest hour may carry:
	// the hourly capacity is VisitsPerDay × PeakHourRatio.
	PeakHourRatio float64 `yaml:"peak_hour_ratio"`
}

// ApplyDefaults fills the optional fields.
func (c *Capacity) ApplyDefaults() {
	if c.PeakHourRatio == 0 {
		c.PeakHourRatio = DefaultPeakHourRatio
	}
}

// Validate records every problem of the item.
func (c Capacity) Validate(p collector.Problems) {
	c.Site.Validate(p)
	if c.VisitsPerDay <= 0 {
		p.At("visits_per_day").Addf("must be positive (e.g. 180000)")
	}
	if c.PeakHourRatio <= 0 || c.PeakHourRatio > 1 {
		p.At("peak_hour_ratio").Addf("%v must be in (0, 1]", c.PeakHourRatio)
	}
}

// ValidateCapacities validates the `capacity:` list of the configuration
// file, including that no ENT appears twice (its gauges would collide). p is
// the file's root: problems are reported at capacity[i].
func ValidateCapacities(list []Capacity, p collector.Problems) {
	seen := map[collector.Site]bool{}
	for i, c := range list {
		cp := p.At(fmt.Sprintf("capacity[%d]", i))
		c.Validate(cp)
		if seen[c.Site] {
			cp.Addf("department %q, ent %q listed twice", c.Department, c.ENT)
		}
		seen[c.Site] = true
	}
}
