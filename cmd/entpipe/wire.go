package main

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/enseigno"
	"github.com/entpipe/entpipe/collector/entlog"
	"github.com/entpipe/entpipe/collector/infra"
)

// deps are the process-wide pieces every source is built with.
type deps struct {
	cfg   *Config
	loc   *time.Location
	salt  []byte
	stats *collector.Stats
	log   *slog.Logger
}

func newDeps(cfg *Config, stats *collector.Stats, log *slog.Logger) (*deps, error) {
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return nil, fmt.Errorf("timezone: %w", err)
	}
	salt, err := loadSalt(cfg.SaltFile)
	if err != nil {
		return nil, err
	}
	return &deps{cfg: cfg, loc: loc, salt: salt, stats: stats, log: log}, nil
}

// with returns the deps of cfg, a reloaded configuration with the same
// timezone and salt file (see restartOnly).
func (d *deps) with(cfg *Config) *deps {
	c := *d
	c.cfg = cfg
	return &c
}

// stateDir is where a source keeps its checkpoints.
func (d *deps) stateDir(source string) string {
	return filepath.Join(d.cfg.DataDir, "state", source)
}

func (d *deps) entlog(s SourceConfig) (*entlog.Source, error) {
	return entlog.New(s.Name, *s.Entlog, entlog.Options{
		Location: d.loc, Salt: d.salt, StateDir: d.stateDir(s.Name),
		Stats: d.stats, Log: d.log, // entlog names its source in every record
	})
}

func (d *deps) enseigno(s SourceConfig) (*enseigno.Source, error) {
	return enseigno.New(s.Name, *s.Enseigno, enseigno.Options{
		StateDir: d.stateDir(s.Name), Stats: d.stats, Log: d.log.With("source", s.Name),
	})
}

// sources lists the configured sources for the Runner, each with its
// configuration (a reload restarts the sources whose configuration
// changed): entlog sources stream, enseigno sources with a URL and infra
// sources are polled at their interval. An enseigno source without a URL
// is fed by `entpipe import` only.
func (d *deps) sources() []collector.Source {
	var out []collector.Source
	for _, s := range d.cfg.Sources {
		src := collector.Source{Name: s.Name, Config: s, Interval: s.Interval}
		switch {
		case s.Entlog != nil:
			src.NewStreamer = func() (collector.Streamer, error) { return d.entlog(s) }
		case s.Enseigno != nil && s.Enseigno.URL != "":
			src.NewGatherer = func() (collector.Gatherer, error) { return d.enseigno(s) }
		case s.Infra != nil:
			src.NewGatherer = func() (collector.Gatherer, error) {
				return infra.New(s.Name, *s.Infra, infra.Options{Stats: d.stats, Log: d.log.With("source", s.Name)})
			}
		default:
			continue
		}
		out = append(out, src)
	}
	return out
}

// vocabulary is the closed list of values of every bounded label, from the
// schema (collector.Vocabularies) and the configuration, so nothing else
// can reach Prometheus.
func (d *deps) vocabulary() map[string][]string {
	v := collector.Vocabularies()
	add := func(key, value string) {
		if !slices.Contains(v[key], value) {
			v[key] = append(v[key], value)
		}
	}
	add(collector.TagService, entlog.ServiceOther)
	for _, s := range d.cfg.Sources {
		switch {
		case s.Entlog != nil:
			add(collector.TagDepartment, s.Entlog.Department)
			add(collector.TagENT, s.Entlog.ENT)
			for _, svc := range entlog.NewServices(s.Entlog.ParseConfig).Names() {
				add(collector.TagService, svc)
			}
		case s.Enseigno != nil:
			add(collector.TagDepartment, s.Enseigno.Department)
		case s.Infra != nil:
			add(collector.TagDepartment, s.Infra.Department)
			add(collector.TagENT, s.Infra.ENT)
		}
	}
	for _, c := range d.cfg.Capacity {
		add(collector.TagDepartment, c.Department)
		add(collector.TagENT, c.ENT)
	}
	return v
}
