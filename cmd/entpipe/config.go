package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/enseigno"
	"github.com/entpipe/entpipe/collector/entlog"
	"github.com/entpipe/entpipe/collector/infra"
	"github.com/entpipe/entpipe/exporters/influx"
	"github.com/entpipe/entpipe/exporters/prom"
)

// Config is the configuration file: what to collect and where to send it.
// How to run the process (listen address, log level) is in flags.
type Config struct {
	// DataDir holds checkpoints and the InfluxDB spool.
	DataDir string `yaml:"data_dir"`
	// Timezone is used for log lines without a UTC offset, never the host's.
	Timezone string `yaml:"timezone"`
	// SaltFile holds the secret salt of visitor hashes; it is created with
	// 32 random bytes (mode 0600) when missing. Default: <data_dir>/salt.
	SaltFile string         `yaml:"salt_file"`
	Influx   influx.Config  `yaml:"influx"`
	Sources  []SourceConfig `yaml:"sources"`
	// Capacity is what each ENT is sized for, exported as ent_capacity_*
	// gauges so the alert rules compare live visits with it.
	Capacity []prom.Capacity `yaml:"capacity"`
}

// SourceConfig is one item of `sources:`; exactly one kind is set.
type SourceConfig struct {
	Name string `yaml:"name"`
	// Interval is the poll period of enseigno and infra sources.
	Interval time.Duration    `yaml:"interval"`
	Entlog   *entlog.Config   `yaml:"entlog"`
	Enseigno *enseigno.Config `yaml:"enseigno"`
	Infra    *infra.Config    `yaml:"infra"`
}

// configError marks problems in the file itself: exit code 2, not 1.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

// loadConfig reads, decodes, completes and validates path. All problems
// are reported together, each with its YAML path (and line, for keys and
// values that do not decode).
func loadConfig(path string) (*Config, error) {
	cfg, p, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	if p.Len() > 0 {
		return nil, invalidConfig(path, p)
	}
	return cfg, nil
}

// readConfig reads and decodes path (see decodeConfig); err is for a file
// that cannot be read.
func readConfig(path string) (*Config, collector.Problems, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, collector.NewProblems(), configError{fmt.Errorf("read config: %w", err)}
	}
	cfg, p := decodeConfig(data)
	return cfg, p, nil
}

// invalidConfig is the error listing every problem of the file at path.
func invalidConfig(path string, p collector.Problems) error {
	return configError{fmt.Errorf("invalid config %s (%d problem%s):\n%w", path, p.Len(), plural(p.Len()), p.Err())}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// decodeConfig decodes data in one pass that reports everything: YAML
// syntax (which stops there: cfg is nil), then unknown keys and values of
// the wrong type, then, on everything that decoded, defaults and the
// semantic checks of every section. A semantic problem about a value that
// did not decode is left out: it would only repeat the first.
func decodeConfig(data []byte) (*Config, collector.Problems) {
	p := collector.NewProblems()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		p.Addf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, p
	}
	var cfg Config
	var d nodeDecoder
	d.decode(&root, reflect.ValueOf(&cfg).Elem(), p)
	cfg.applyDefaults()
	semantic := collector.NewProblems()
	cfg.validate(semantic)
	if joined, ok := semantic.Err().(interface{ Unwrap() []error }); ok {
		for _, err := range joined.Unwrap() {
			if !d.repeats(err.Error()) {
				p.Addf("%s", err)
			}
		}
	}
	return &cfg, p
}

func (c *Config) applyDefaults() {
	if c.DataDir == "" {
		c.DataDir = "/var/lib/entpipe"
	}
	if c.Timezone == "" {
		c.Timezone = "Europe/Paris"
	}
	if c.SaltFile == "" {
		c.SaltFile = filepath.Join(c.DataDir, "salt")
	}
	c.Influx.ApplyDefaults()
	for i := range c.Capacity {
		c.Capacity[i].ApplyDefaults()
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		switch {
		case s.Entlog != nil:
			s.Entlog.ApplyDefaults()
		case s.Enseigno != nil:
			s.Enseigno.ApplyDefaults()
			if s.Interval == 0 {
				s.Interval = time.Hour
			}
		case s.Infra != nil:
			if s.Interval == 0 {
				s.Interval = 15 * time.Second
			}
		}
	}
}

func (c *Config) validate(p collector.Problems) {
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		p.At("timezone").Addf("%q is not an IANA time zone", c.Timezone)
	}
	c.Influx.Validate(p.At("influx"))
	prom.ValidateCapacities(c.Capacity, p)
	if len(c.Sources) == 0 {
		p.At("sources").Addf("must list at least one source")
	}
	seen := map[string]bool{}
	for i, s := range c.Sources {
		sp := p.At("sources").At(sourceSegment(i, s.Name))
		switch {
		case s.Name == "":
			sp.At("name").Addf("must be set")
		case !collector.ValidSlug(s.Name):
			sp.At("name").Addf("%q is not a slug (lowercase letters, digits, dashes)", s.Name)
		case seen[s.Name]:
			sp.At("name").Addf("%q is used by another source", s.Name)
		}
		seen[s.Name] = true
		if s.Interval < 0 {
			sp.At("interval").Addf("must not be negative")
		}
		kinds := 0
		if s.Entlog != nil {
			kinds++
			s.Entlog.Validate(sp.At("entlog"))
		}
		if s.Enseigno != nil {
			kinds++
			s.Enseigno.Validate(sp.At("enseigno"))
		}
		if s.Infra != nil {
			kinds++
			s.Infra.Validate(sp.At("infra"))
		}
		if kinds != 1 {
			sp.Addf("exactly one of entlog, enseigno, infra must be set, found %d", kinds)
		}
	}
}
