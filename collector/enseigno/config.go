// Package enseigno reads the usage exports of Enseigno, the online tutoring
// service, into daily enseigno_usage points by discipline.
package enseigno

import (
	"slices"

	"github.com/entpipe/entpipe/collector"
)

// Config is the `enseigno:` section of a source.
type Config struct {
	Department string `yaml:"department"`
	// Format of the export: csv or json.
	Format string `yaml:"format"`
	// URL, when set, is fetched every source interval by `entpipe run`.
	URL string `yaml:"url"`
}

// ApplyDefaults fills unset optional values.
func (c *Config) ApplyDefaults() {
	if c.Format == "" {
		c.Format = "csv"
	}
}

// Validate records every problem of the section.
func (c *Config) Validate(p collector.Problems) {
	if !collector.ValidSlug(c.Department) {
		p.At("department").Addf("must be a department slug such as \"92\", got %q", c.Department)
	}
	if !slices.Contains([]string{"csv", "json"}, c.Format) {
		p.At("format").Addf("%q is not one of [csv json]", c.Format)
	}
}
