package influx

import (
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
)

func TestConfigValidate(t *testing.T) {
	f := func(edit func(*Config), want string) {
		t.Helper()
		var c Config
		c.ApplyDefaults()
		edit(&c)
		p := collector.NewProblems()
		c.Validate(p)
		err := p.Err()
		switch {
		case want == "" && err != nil:
			t.Errorf("unexpected problems: %v", err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("problems %v, want %q", err, want)
		}
	}
	f(func(*Config) {}, "")
	f(func(c *Config) { c.SpoolMaxSize = 1000 }, "spool_max_size: must be at least 65536 bytes, got 1000")
	f(func(c *Config) { c.MaxRetryInterval = time.Millisecond }, "max_retry_interval: must not be shorter than retry_interval (1s)")
	f(func(c *Config) { c.Retention = time.Minute }, "retention: InfluxDB needs at least 1h")
	f(func(c *Config) { c.Concurrency = -1 }, "concurrency: must be between 1 and 64, got -1")
	f(func(c *Config) { c.Concurrency = 65 }, "concurrency: must be between 1 and 64, got 65")
	f(func(c *Config) { c.RetryInterval = -time.Second }, "durations must not be negative")
	f(func(c *Config) { c.URL = "influx:8086" }, `url: "influx:8086" is not an http(s) URL`)
	f(func(c *Config) { c.URL = "htp://admin:s3cret@influx:8086" }, `url: "htp://admin:xxxxx@influx:8086" is not an http(s) URL`)
}
