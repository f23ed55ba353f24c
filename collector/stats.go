package collector

import (
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Stats holds the self-metrics of sources and sinks (lines by result, lag,
// spool size…) without importing a metrics library: packages below cmd stay
// independent of client_golang, and the Prometheus exporter reads a Snapshot
// at scrape time. One Stats is built in main and passed down; it is safe for
// concurrent use. Hot paths keep the *Counter or *Gauge handle and update it
// with one atomic operation.
type Stats struct {
	mu     sync.Mutex
	series map[string]*series
}

// MetricType says whether a self-metric only goes up or may go down.
type MetricType uint8

const (
	CounterType MetricType = iota
	GaugeType
)

type series struct {
	name   string
	labels []string // key, value, key, value…
	typ    MetricType
	bits   atomic.Uint64 // math.Float64bits of the value
}

// Sample is one self-metric value at Snapshot time.
type Sample struct {
	Name   string
	Labels []string // key, value pairs
	Type   MetricType
	Value  float64
}

// NewStats returns an empty Stats.
func NewStats() *Stats { return &Stats{series: map[string]*series{}} }

// Counter returns the counter name{labels}, creating it at zero. labels are
// key, value pairs; a name must always be used with the same type.
func (s *Stats) Counter(name string, labels ...string) *Counter {
	return &Counter{s.get(name, CounterType, labels)}
}

// Gauge returns the gauge name{labels}, creating it at zero.
func (s *Stats) Gauge(name string, labels ...string) *Gauge {
	return &Gauge{s.get(name, GaugeType, labels)}
}

func (s *Stats) get(name string, typ MetricType, labels []string) *series {
	if len(labels)%2 != 0 {
		panic("BUG: stats labels must be key, value pairs: " + name)
	}
	key := name + "\xff" + strings.Join(labels, "\xff")
	s.mu.Lock()
	defer s.mu.Unlock()
	if sr, ok := s.series[key]; ok {
		if sr.typ != typ {
			panic("BUG: stats metric used as counter and gauge: " + name)
		}
		return sr
	}
	sr := &series{name: name, labels: append([]string(nil), labels...), typ: typ}
	s.series[key] = sr
	return sr
}

// Snapshot returns every metric, sorted by name then labels.
func (s *Stats) Snapshot() []Sample {
	s.mu.Lock()
	out := make([]Sample, 0, len(s.series))
	for _, sr := range s.series {
		out = append(out, Sample{sr.name, sr.labels, sr.typ, math.Float64frombits(sr.bits.Load())})
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return strings.Join(out[i].Labels, "\xff") < strings.Join(out[j].Labels, "\xff")
	})
	return out
}

// Counter is a monotonically increasing self-metric.
type Counter struct{ s *series }

// Add increases the counter by v, which must not be negative.
func (c *Counter) Add(v float64) { c.s.add(v) }

// Inc adds one.
func (c *Counter) Inc() { c.s.add(1) }

// Value returns the current value (for tests and summaries).
func (c *Counter) Value() float64 { return math.Float64frombits(c.s.bits.Load()) }

// Gauge is a self-metric that may go up and down.
type Gauge struct{ s *series }

// Set replaces the value.
func (g *Gauge) Set(v float64) { g.s.bits.Store(math.Float64bits(v)) }

// Add changes the value by v.
func (g *Gauge) Add(v float64) { g.s.add(v) }

// Value returns the current value.
func (g *Gauge) Value() float64 { return math.Float64frombits(g.s.bits.Load()) }

func (sr *series) add(v float64) {
	for {
		old := sr.bits.Load()
		if sr.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}
