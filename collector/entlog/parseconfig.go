package entlog

import (
	"slices"

	"github.com/entpipe/entpipe/collector"
)

// ParseConfig is the part of an entlog section that says how a line becomes
// a classified Request: the log format and the vocabularies of DESIGN.md.
type ParseConfig struct {
	// Format is combined, ent (combined + request time + profile) or json.
	// LogFormat, when set, is an nginx log_format string compiled into the
	// parser instead.
	Format    string `yaml:"format"`
	LogFormat string `yaml:"log_format"`
}

// Formats lists the accepted values of Format.
func Formats() []string { return []string{"combined", "ent", "json"} }

// ApplyDefaults fills unset optional values.
func (c *ParseConfig) ApplyDefaults() {
	if c.Format == "" && c.LogFormat == "" {
		c.Format = "ent"
	}
}

// Validate records every problem of the parse settings.
func (c *ParseConfig) Validate(p collector.Problems) {
	switch {
	case c.Format != "" && c.LogFormat != "":
		p.At("format").Addf("set either format or log_format, not both")
	case c.LogFormat == "" && !slices.Contains(Formats(), c.Format):
		p.At("format").Addf("%q is not one of %v", c.Format, Formats())
	}
}
