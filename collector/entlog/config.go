// Package entlog turns ENT web access logs into visits, page views, unique
// visitors and request totals by profile, following DESIGN.md's audience
// definitions. Identities (user ids, IPs, user agents) never leave it.
package entlog

import (
	"slices"

	"github.com/entpipe/entpipe/collector"
)

// Config is the `entlog:` section of a source.
type Config struct {
	collector.Site `yaml:",inline"`
	// Paths are files or globs to read (rotated siblings included when the
	// glob matches them).
	Paths []string `yaml:"paths"`
	// Format is combined, ent (combined + request time + profile) or json.
	// LogFormat, when set, is an nginx log_format string compiled into the
	// parser instead.
	Format    string `yaml:"format"`
	LogFormat string `yaml:"log_format"`
	// StartAt says where to read a file never seen before: beginning or end.
	StartAt string `yaml:"start_at"`
}

// Formats lists the accepted values of Format.
func Formats() []string { return []string{"combined", "ent", "json"} }

// ApplyDefaults fills unset optional values.
func (c *Config) ApplyDefaults() {
	if c.Format == "" && c.LogFormat == "" {
		c.Format = "ent"
	}
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
	switch {
	case c.Format != "" && c.LogFormat != "":
		p.At("format").Addf("set either format or log_format, not both")
	case c.LogFormat == "" && !slices.Contains(Formats(), c.Format):
		p.At("format").Addf("%q is not one of %v", c.Format, Formats())
	}
	if c.StartAt != "beginning" && c.StartAt != "end" {
		p.At("start_at").Addf("%q is not one of [beginning end]", c.StartAt)
	}
}
