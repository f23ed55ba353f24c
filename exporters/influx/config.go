// Package influx is the Sink that writes entpipe's bucket totals to InfluxDB
// through influxdb-client-go/v2: InfluxDB 2.x/3.x/Cloud natively and 1.8+
// through its v2-compatible write API (bucket "db/retention_policy").
package influx

import (
	"os"
	"strings"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// TokenEnv names the environment variable that may carry the token instead
// of token_file (for 1.8: "user:password", or empty without auth).
const TokenEnv = "ENTPIPE_INFLUX_TOKEN"

// Config is the `influx:` section of the configuration file.
type Config struct {
	URL string `yaml:"url"`
	// Org is required by InfluxDB 2.x and ignored by 1.8.
	Org string `yaml:"org"`
	// Bucket is "database/retention_policy" on 1.8, a bucket name on 2.x.
	Bucket string `yaml:"bucket"`
	// TokenFile holds the API token; never inline in YAML.
	TokenFile string `yaml:"token_file"`
	// BatchSize and FlushInterval bound how long points wait in memory.
	BatchSize     int           `yaml:"batch_size"`
	FlushInterval time.Duration `yaml:"flush_interval"`
	// Concurrency is the number of write requests in flight at once, on
	// batches without a bucket in common (see order.go).
	Concurrency int           `yaml:"concurrency"`
	Timeout     time.Duration `yaml:"timeout"`
	// Retention is applied by `entpipe influx setup` (default 25 months).
	Retention time.Duration `yaml:"retention"`
	// GZip compresses write requests (less network, a little more CPU).
	GZip bool `yaml:"gzip"`
	// RetryInterval is the first delay after a failed write; each further
	// failure doubles it, with jitter, up to MaxRetryInterval. A
	// Retry-After header from InfluxDB overrides a shorter delay.
	RetryInterval    time.Duration `yaml:"retry_interval"`
	MaxRetryInterval time.Duration `yaml:"max_retry_interval"`
	// SpoolMaxSize bounds the bytes waiting in the disk spool; when it is
	// reached, sources pause until InfluxDB accepts the backlog.
	SpoolMaxSize int64 `yaml:"spool_max_size"`
}

// MinSpoolSize is the smallest accepted spool_max_size.
const MinSpoolSize = 64 << 10

// DefaultConcurrency and MaxConcurrency bound the writes in flight.
const (
	DefaultConcurrency = 4
	MaxConcurrency     = 64
)

// ApplyDefaults fills unset optional values.
func (c *Config) ApplyDefaults() {
	if c.URL == "" {
		c.URL = "http://127.0.0.1:8086"
	}
	if c.Bucket == "" {
		c.Bucket = "ent/autogen"
	}
	if c.BatchSize == 0 {
		c.BatchSize = 5000
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = time.Second
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Retention == 0 {
		c.Retention = 25 * 31 * 24 * time.Hour
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = time.Second
	}
	if c.MaxRetryInterval == 0 {
		c.MaxRetryInterval = time.Minute
	}
	if c.SpoolMaxSize == 0 {
		c.SpoolMaxSize = 1 << 30
	}
}

// Validate records every problem of the section.
func (c *Config) Validate(p collector.Problems) {
	if !collector.HTTPURL(c.URL) {
		p.At("url").Addf("%q is not an http(s) URL", collector.RedactURL(c.URL))
	}
	if c.Bucket == "" || strings.HasPrefix(c.Bucket, "/") || strings.HasSuffix(c.Bucket, "/") {
		p.At("bucket").Addf("want a bucket name, or \"<database>/<retention policy>\" for InfluxDB 1.8, got %q", c.Bucket)
	}
	if c.TokenFile != "" {
		if _, err := os.Stat(c.TokenFile); err != nil {
			p.At("token_file").Addf("cannot read: %v", err)
		}
	}
	if c.BatchSize < 1 {
		p.At("batch_size").Addf("must be at least 1, got %d", c.BatchSize)
	}
	if c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
		p.At("concurrency").Addf("must be between 1 and %d, got %d", MaxConcurrency, c.Concurrency)
	}
	if c.FlushInterval < 0 || c.Timeout < 0 || c.Retention < 0 || c.RetryInterval < 0 || c.MaxRetryInterval < 0 {
		p.Addf("durations must not be negative")
	}
	if c.Retention > 0 && c.Retention < time.Hour {
		p.At("retention").Addf("InfluxDB needs at least 1h, got %s", c.Retention)
	}
	if c.MaxRetryInterval < c.RetryInterval {
		p.At("max_retry_interval").Addf("must not be shorter than retry_interval (%s), got %s", c.RetryInterval, c.MaxRetryInterval)
	}
	if c.SpoolMaxSize < MinSpoolSize {
		p.At("spool_max_size").Addf("must be at least %d bytes, got %d", MinSpoolSize, c.SpoolMaxSize)
	}
}

// Token returns the token from $ENTPIPE_INFLUX_TOKEN, else from TokenFile
// (trimmed), else "". The value is a secret: never log it.
func (c *Config) Token() (string, error) {
	if v, ok := os.LookupEnv(TokenEnv); ok {
		return v, nil
	}
	if c.TokenFile == "" {
		return "", nil
	}
	b, err := os.ReadFile(c.TokenFile)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}
