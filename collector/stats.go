package collector

import (
	"fmt"
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
//
// Every series is checked against its row of SelfMetrics: a name without a
// row, a counter used as a gauge or labels other than the row's are
// programming errors, and panic at the call that makes them, so any test
// that runs the call finds them.
type Stats struct {
	defs   map[string]MetricDef
	mu     sync.Mutex
	series map[string]*series
}

// MetricType says whether a self-metric only goes up or may go down.
type MetricType uint8

const (
	CounterType MetricType = iota
	GaugeType
	// HistogramType is for the exporter's table (collector.Metrics); Stats
	// keeps no histogram.
	HistogramType
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

// NewStats returns an empty Stats for the metrics of SelfMetrics.
func NewStats() *Stats {
	return &Stats{defs: MetricsByName(SelfMetrics()), series: map[string]*series{}}
}

// Counter returns the counter name{labels}, creating it at zero. labels are
// key, value pairs, the keys those of the metric's definition, in order.
func (s *Stats) Counter(name string, labels ...string) *Counter {
	return &Counter{s.get(name, CounterType, labels)}
}

// Gauge returns the gauge name{labels}, creating it at zero.
func (s *Stats) Gauge(name string, labels ...string) *Gauge {
	return &Gauge{s.get(name, GaugeType, labels)}
}

func (s *Stats) get(name string, typ MetricType, labels []string) *series {
	if err := s.check(name, typ, labels); err != nil {
		panic("BUG: " + err.Error())
	}
	key := name + "\xff" + strings.Join(labels, "\xff")
	s.mu.Lock()
	defer s.mu.Unlock()
	if sr, ok := s.series[key]; ok {
		return sr
	}
	sr := &series{name: name, labels: append([]string(nil), labels...), typ: typ}
	s.series[key] = sr
	return sr
}

// check compares a use of a self-metric with its definition.
func (s *Stats) check(name string, typ MetricType, labels []string) error {
	d, ok := s.defs[name]
	switch {
	case !ok:
		return fmt.Errorf("self-metric %s has no row in collector.SelfMetrics", name)
	case d.Type != typ:
		return fmt.Errorf("self-metric %s is a %s, used as a %s", name, d.Type, typ)
	case len(labels) != 2*len(d.Labels):
		return fmt.Errorf("self-metric %s has labels %v, given %q", name, d.Labels, labels)
	}
	for i, k := range d.Labels {
		if labels[2*i] != k {
			return fmt.Errorf("self-metric %s has labels %v, given %q", name, d.Labels, labels)
		}
	}
	return nil
}

// String names the type as Prometheus does.
func (t MetricType) String() string {
	switch t {
	case CounterType:
		return "counter"
	case HistogramType:
		return "histogram"
	}
	return "gauge"
}

// Forget removes every series with the label key=value: a source removed by
// a configuration reload leaves no stale series behind (a source up for
// ever, say). A later use of one of them starts it again at zero; handles
// taken before keep working but are no longer exported.
func (s *Stats) Forget(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, sr := range s.series {
		for i := 0; i+1 < len(sr.labels); i += 2 {
			if sr.labels[i] == key && sr.labels[i+1] == value {
				delete(s.series, k)
				break
			}
		}
	}
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
