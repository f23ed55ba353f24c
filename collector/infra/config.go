// Package infra measures the load of the servers behind an ENT: it scrapes
// node_exporter and web-server status pages and probes ENT URLs.
package infra

import (
	"net/url"

	"github.com/entpipe/entpipe/collector"
)

// Config is the `infra:` section of a source.
type Config struct {
	collector.Site `yaml:",inline"`
	// NodeExporter lists node_exporter /metrics URLs to scrape.
	NodeExporter []string `yaml:"node_exporter"`
}

// Validate records every problem of the section.
func (c *Config) Validate(p collector.Problems) {
	c.Site.Validate(p)
	if len(c.NodeExporter) == 0 {
		p.At("node_exporter").Addf("must list at least one URL")
	}
	for i, u := range c.NodeExporter {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			p.At("node_exporter").Addf("[%d] %q is not an http(s) URL", i, u)
		}
	}
}
