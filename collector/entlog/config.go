// Package entlog turns ENT web access logs into visits, page views, unique
// visitors and request totals by profile, following DESIGN.md's audience
// definitions. Identities (user ids, IPs, user agents) never leave it.
package entlog

import (
	"github.com/entpipe/entpipe/collector"
)

// Config is the `entlog:` section of a source.
type Config struct {
	collector.Site `yaml:",inline"`
	// Paths are files or globs to read (rotated siblings included when the
	// glob matches them).
	Paths []string `yaml:"paths"`
	// ParseConfig says how lines are parsed and classified (parseconfig.go).
	ParseConfig `yaml:",inline"`
	// StartAt says where to read a file never seen before: beginning or end.
	StartAt string `yaml:"start_at"`
}

// ApplyDefaults fills unset optional values.
func (c *Config) ApplyDefaults() {
	c.ParseConfig.ApplyDefaults()
	if c.StartAt == "" {
		c.StartAt = "beginning"
	}
}

// Validate records every problem of the section.
func (c *Config) Validate(p collector.Problems) {
	c.Site.Validate(p)
	if len(c.Paths) == 0 {
		p.At("paths").Addf("must list at least one file")
	}
	c.ParseConfig.Validate(p)
	if c.StartAt != "beginning" && c.StartAt != "end" {
		p.At("start_at").Addf("%q is not one of [beginning end]", c.StartAt)
	}
}
