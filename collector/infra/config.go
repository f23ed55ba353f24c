// Package infra measures the load of the servers behind an ENT: it scrapes
// node_exporter and web-server status pages and probes ENT URLs.
package infra

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// Defaults applied by ApplyDefaults.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultMaxBodySize = 8 << 20 // node_exporter pages are 30 KB to 2 MB
	// DefaultInterfacesExclude drops loopback and virtual interfaces
	// (containers, bridges, tunnels), whose traffic is already counted on
	// the physical interface or never leaves the host.
	DefaultInterfacesExclude = `^(lo|veth.*|docker.*|br-.*|virbr.*|vnet.*|cni.*|flannel.*|cali.*|kube-.*|tun.*|tap.*|wg.*|ifb.*|dummy.*)$`
)

// Config is the `infra:` section of a source. At least one of NodeExporter,
// StubStatus, ApacheStatus and Probes must be set.
type Config struct {
	collector.Site `yaml:",inline"`
	// NodeExporter lists node_exporter /metrics URLs to scrape.
	NodeExporter []string `yaml:"node_exporter"`
	// StubStatus lists nginx stub_status URLs.
	StubStatus []string `yaml:"stub_status"`
	// ApacheStatus lists Apache mod_status URLs in machine form
	// (`/server-status?auto`).
	ApacheStatus []string `yaml:"apache_status"`
	// HostLabels maps a scraped URL to the host tag of its points; by
	// default the tag is the URL's host:port. Give node_exporter and the
	// web-server status of one machine the same label to get one series.
	HostLabels map[string]string `yaml:"host_labels"`
	// Interfaces selects the network interfaces summed into the network
	// rates, by name.
	Interfaces Interfaces `yaml:"interfaces"`
	// Probes are the ENT URLs checked at every poll.
	Probes []Probe `yaml:"probes"`
	// Timeout bounds each scrape (default 5s) and is the probes' default.
	Timeout time.Duration `yaml:"timeout"`
	// MaxBodySize caps a scraped body in bytes (default 8 MiB): a larger
	// body is an error, a probe only reads that much for body_match.
	MaxBodySize int64 `yaml:"max_body_size"`
}

// Interfaces are two regular expressions over interface names (anchor
// them yourself): an interface counts when it matches Include (empty:
// every interface) and does not match Exclude.
type Interfaces struct {
	Include string `yaml:"include"`
	// Exclude defaults to DefaultInterfacesExclude; set it to "^$" to
	// exclude nothing.
	Exclude string `yaml:"exclude"`
}

// Probe is one ENT URL checked with an HTTP GET.
type Probe struct {
	// Name is the target tag: a short slug, never the URL, whose query
	// could hold anything.
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	// ExpectStatus is the status code of success (default 200), after
	// redirects are followed.
	ExpectStatus int `yaml:"expect_status"`
	// BodyMatch, when set, is a regular expression the start of the body
	// (MaxBodySize bytes) must match.
	BodyMatch string `yaml:"body_match"`
	// Timeout bounds the whole probe (default: the section's timeout).
	Timeout time.Duration `yaml:"timeout"`
}

const maxMaxBodySize = 1 << 30

var hostLabelRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$`)

// ApplyDefaults fills unset optional values.
func (c *Config) ApplyDefaults() {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBodySize == 0 {
		c.MaxBodySize = DefaultMaxBodySize
	}
	if c.Interfaces.Exclude == "" {
		c.Interfaces.Exclude = DefaultInterfacesExclude
	}
	for i := range c.Probes {
		if c.Probes[i].ExpectStatus == 0 {
			c.Probes[i].ExpectStatus = 200
		}
		if c.Probes[i].Timeout == 0 {
			c.Probes[i].Timeout = c.Timeout
			if c.Timeout < 0 { // reported once, on the section's timeout
				c.Probes[i].Timeout = DefaultTimeout
			}
		}
	}
}

// Validate records every problem of the section. It accepts the zero
// values ApplyDefaults replaces, so it may run before or after it.
func (c *Config) Validate(p collector.Problems) {
	c.Site.Validate(p)
	if len(c.NodeExporter)+len(c.StubStatus)+len(c.ApacheStatus)+len(c.Probes) == 0 {
		p.Addf("must list at least one of node_exporter, stub_status, apache_status, probes")
	}
	seen, ids := map[string]bool{}, map[string]bool{}
	for _, list := range []struct {
		key  string
		urls []string
	}{{"node_exporter", c.NodeExporter}, {"stub_status", c.StubStatus}, {"apache_status", c.ApacheStatus}} {
		for i, u := range list.urls {
			if !collector.HTTPURL(u) {
				p.At(list.key).Addf("[%d] %q is not an http(s) URL", i, collector.RedactURL(u))
			}
			seen[u] = true
			// One node_exporter and one web-server status per host tag:
			// two would overwrite each other's fields.
			kind := "node_exporter"
			if list.key != kind {
				kind = "web-server status"
			}
			host := hostTag(u, c.HostLabels)
			if ids[kind+"/"+host] {
				p.At(list.key).Addf("[%d] %q: host %q already has a %s URL (tell them apart with host_labels)", i, collector.RedactURL(u), host, kind)
			}
			ids[kind+"/"+host] = true
		}
	}
	for _, u := range slices.Sorted(maps.Keys(c.HostLabels)) {
		label := c.HostLabels[u]
		if !seen[u] {
			p.At("host_labels").Addf("%q is not one of the scraped URLs", collector.RedactURL(u))
		}
		if !hostLabelRe.MatchString(label) {
			p.At("host_labels").Addf("%q: label %q must be letters, digits, '.', ':', '-' or '_' (at most 63)", collector.RedactURL(u), label)
		}
	}
	for _, re := range [][2]string{{"include", c.Interfaces.Include}, {"exclude", c.Interfaces.Exclude}} {
		if _, err := regexp.Compile(re[1]); err != nil {
			p.At("interfaces").At(re[0]).Addf("%v", err)
		}
	}
	names := map[string]bool{}
	for i, pr := range c.Probes {
		pp := p.At(fmt.Sprintf("probes[%d]", i))
		switch {
		case !collector.ValidSlug(pr.Name):
			pp.At("name").Addf("%q must be a slug (lowercase letters, digits, dashes)", pr.Name)
		case names[pr.Name]:
			pp.At("name").Addf("%q is used twice", pr.Name)
		}
		names[pr.Name] = true
		if !collector.HTTPURL(pr.URL) {
			pp.At("url").Addf("%q is not an http(s) URL", collector.RedactURL(pr.URL))
		}
		if pr.ExpectStatus != 0 && (pr.ExpectStatus < 100 || pr.ExpectStatus > 599) {
			pp.At("expect_status").Addf("%d is not an HTTP status", pr.ExpectStatus)
		}
		if _, err := regexp.Compile(pr.BodyMatch); err != nil {
			pp.At("body_match").Addf("%v", err)
		}
		if pr.Timeout < 0 {
			pp.At("timeout").Addf("must be positive (or unset for the default)")
		}
	}
	if c.Timeout < 0 {
		p.At("timeout").Addf("must be positive (or unset for the default)")
	}
	if c.MaxBodySize < 0 || c.MaxBodySize > maxMaxBodySize {
		p.At("max_body_size").Addf("must be within 1 and %d bytes (or unset for the default)", maxMaxBodySize)
	}
}
