// Package entlog turns ENT web access logs into visits, page views, unique
// visitors and request totals by profile, following the audience
// definitions of docs/design.md#audience-definitions. Identities (user ids,
// IPs, user agents) never leave it.
package entlog

import (
	"time"

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
	// Horizon is how far behind the newest event time a late line may still
	// change (rewrite) the buckets it belongs to; older lines are counted as
	// too_late. It bounds the memory kept for closed buckets.
	Horizon time.Duration `yaml:"horizon"`
	// ReorderWindow is how late a line may arrive and still give the exact
	// visits of sorted input: later than the newest line of its file, than
	// the other files' lines, or, in `run`, than the wall clock since its
	// file was last written (a server that buffers its log).
	ReorderWindow time.Duration `yaml:"reorder_window"`
	// MaxFuture is how far ahead a line's time may be: in `run`, of the
	// wall clock; in `import`, also of the lines around it. A line further
	// ahead (a server whose clock is wrong) is counted as future and never
	// moves event time.
	MaxFuture time.Duration `yaml:"max_future"`
	// PublishInterval is how often `run`, once it has read every file to
	// its end, writes the running totals of the minutes still open, so that
	// InfluxDB and Prometheus see lines within seconds, without waiting for
	// a later line to close their minute.
	PublishInterval time.Duration `yaml:"publish_interval"`
	// CheckpointInterval is how often `run` flushes the sink and writes its
	// checkpoint: the most work a crash can make entpipe redo.
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
	// PollInterval is how often `run` looks for new lines, new files,
	// rotations and truncations once every file has been read to its end.
	PollInterval time.Duration `yaml:"poll_interval"`
}

// ApplyDefaults fills unset optional values.
func (c *Config) ApplyDefaults() {
	c.ParseConfig.ApplyDefaults()
	if c.StartAt == "" {
		c.StartAt = "beginning"
	}
	if c.Horizon == 0 {
		c.Horizon = 10 * time.Minute
	}
	if c.ReorderWindow == 0 {
		c.ReorderWindow = 10 * time.Second
	}
	if c.MaxFuture == 0 {
		c.MaxFuture = 5 * time.Minute
	}
	if c.PublishInterval == 0 {
		c.PublishInterval = 5 * time.Second
	}
	if c.CheckpointInterval == 0 {
		c.CheckpointInterval = 10 * time.Second
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
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
	if c.ReorderWindow < 0 || c.ReorderWindow > 5*time.Minute {
		p.At("reorder_window").Addf("%v must be between 0s and 5m", c.ReorderWindow)
	}
	if c.Horizon < time.Minute || c.Horizon > 24*time.Hour {
		p.At("horizon").Addf("%v must be between 1m and 24h", c.Horizon)
	} else if c.Horizon < c.ReorderWindow {
		p.At("horizon").Addf("%v must not be shorter than reorder_window (%v)", c.Horizon, c.ReorderWindow)
	}
	if c.MaxFuture < time.Minute || c.MaxFuture > 24*time.Hour {
		p.At("max_future").Addf("%v must be between 1m and 24h", c.MaxFuture)
	}
	if c.PublishInterval < 100*time.Millisecond || c.PublishInterval > time.Minute {
		p.At("publish_interval").Addf("%v must be between 100ms and 1m", c.PublishInterval)
	}
	if c.CheckpointInterval < 100*time.Millisecond {
		p.At("checkpoint_interval").Addf("%v must be at least 100ms", c.CheckpointInterval)
	}
	if c.PollInterval < 10*time.Millisecond || c.PollInterval > time.Minute {
		p.At("poll_interval").Addf("%v must be between 10ms and 1m", c.PollInterval)
	}
}
