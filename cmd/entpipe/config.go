package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
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

// loadConfig reads, strictly decodes, completes and validates path. All
// problems are reported together, each with its YAML path or line.
func loadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, configError{fmt.Errorf("read config: %w", err)}
	}
	cfg, err := parseConfig(data)
	if err != nil {
		return nil, configError{fmt.Errorf("invalid config %s:\n%w", path, err)}
	}
	return cfg, nil
}

func parseConfig(data []byte) (*Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) /* an empty file means all defaults */ {
		return nil, yamlProblems(err)
	}
	cfg.applyDefaults()
	p := collector.NewProblems()
	cfg.validate(p)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

var yamlFieldRe = regexp.MustCompile(`field (\S+) not found in type (\S+)`)

// yamlProblems rewrites yaml.v3 errors into one line per problem, keeping
// their line numbers ("line 7: unknown key "pathz" (in entlog.Config)").
func yamlProblems(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	errs := make([]error, 0, len(te.Errors))
	for _, e := range te.Errors {
		errs = append(errs, errors.New(yamlFieldRe.ReplaceAllString(e, `unknown key "$1" (in $2)`)))
	}
	return errors.Join(errs...)
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
		sp := p.At(fmt.Sprintf("sources[%d] %q:", i, s.Name))
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
