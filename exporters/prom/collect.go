package prom

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/entpipe/entpipe/collector"
)

// boundMetric is a metricDef resolved against the schema: its measurement
// state, field slot, descriptor and value type.
type boundMetric struct {
	def   metricDef
	meas  *measState
	slot  int
	desc  *prometheus.Desc
	vtype prometheus.ValueType
}

type boundHistogram struct {
	def        histogramDef
	meas       *measState
	count, sum int
	bounds     []int
	desc       *prometheus.Desc
}

// bind resolves the metric tables; an error means the tables and
// collector.Schema disagree, a programming mistake caught by any test.
func (e *Exporter) bind() error {
	for _, d := range liveMetrics() {
		m := e.meas[d.measurement]
		if m == nil {
			return fmt.Errorf("prom: BUG: %s: unknown measurement %s", d.name, d.measurement)
		}
		slot, ok := m.fields[d.field]
		if !ok {
			return fmt.Errorf("prom: BUG: %s: unknown field %s.%s", d.name, d.measurement, d.field)
		}
		vtype := prometheus.GaugeValue
		if slot.kind == collector.Additive {
			vtype = prometheus.CounterValue
		}
		e.metrics = append(e.metrics, boundMetric{d, m, slot.idx, newDesc(d.name, d.help, m.tags), vtype})
	}
	h := requestDuration()
	m := e.meas[h.measurement]
	if m == nil {
		return fmt.Errorf("prom: BUG: unknown measurement %s", h.measurement)
	}
	e.histogram = boundHistogram{def: h, meas: m, desc: newDesc(h.name, h.help, m.tags)}
	for _, f := range append([]string{h.count, h.sum}, h.boundFields...) {
		slot, ok := m.fields[f]
		if !ok || slot.kind != collector.Additive {
			return fmt.Errorf("prom: BUG: %s: field %s.%s missing or not additive", h.name, h.measurement, f)
		}
		switch f {
		case h.count:
			e.histogram.count = slot.idx
		case h.sum:
			e.histogram.sum = slot.idx
		default:
			e.histogram.bounds = append(e.histogram.bounds, slot.idx)
		}
	}
	return nil
}

// Describe implements prometheus.Collector.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, b := range e.metrics {
		ch <- b.desc
	}
	ch <- e.histogram.desc
	for _, m := range e.constant {
		ch <- m.Desc()
	}
}

// Collect implements prometheus.Collector: one sample per series and field
// that received a value.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	for _, m := range e.constant {
		ch <- m
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, b := range e.metrics {
		for _, sr := range b.meas.series {
			if sr.present[b.slot] {
				ch <- prometheus.MustNewConstMetric(b.desc, b.vtype, sr.values[b.slot]*b.def.scale, sr.labels...)
			}
		}
	}
	h := e.histogram
	for _, sr := range h.meas.series {
		if !sr.present[h.count] {
			continue
		}
		buckets := make(map[float64]uint64, len(h.bounds))
		for i, slot := range h.bounds {
			buckets[h.def.bounds[i]] = uint64(sr.values[slot])
		}
		ch <- prometheus.MustNewConstHistogram(h.desc, uint64(sr.values[h.count]), sr.values[h.sum], buckets, sr.labels...)
	}
}

// constantMetrics are the samples fixed at start-up: capacity and build info.
func constantMetrics(opts Options) ([]prometheus.Metric, error) {
	site := []string{collector.TagDepartment, collector.TagENT}
	perDay := newDesc(metricCapacityVisitsPerDay, "Visits per day the ENT is sized for (capacity: in the configuration).", site)
	peak := newDesc(metricCapacityPeakHour, "Share of a day's capacity the busiest hour may carry (capacity: in the configuration).", site)
	build := newDesc(metricBuildInfo, "A constant 1 labelled with the version, VCS revision and Go version of entpipe.",
		[]string{"version", "revision", "goversion"})
	out := []prometheus.Metric{}
	for _, c := range opts.Capacity {
		for desc, v := range map[*prometheus.Desc]float64{perDay: c.VisitsPerDay, peak: c.PeakHourRatio} {
			m, err := prometheus.NewConstMetric(desc, prometheus.GaugeValue, v, c.Department, c.ENT)
			if err != nil {
				return nil, fmt.Errorf("prom: capacity %s/%s: %w", c.Department, c.ENT, err)
			}
			out = append(out, m)
		}
	}
	m, err := prometheus.NewConstMetric(build, prometheus.GaugeValue, 1, opts.Version, opts.Revision, opts.GoVersion)
	if err != nil {
		return nil, fmt.Errorf("prom: build info: %w", err)
	}
	return append(out, m), nil
}

// selfMetrics exports a collector.Stats snapshot at scrape time, with the
// name, type, labels and help of collector.SelfMetrics: Stats refuses a
// series that disagrees with its row, so every sample matches the
// descriptor built from it, and the collector is a checked one (the
// registry knows every self-metric before any series exists).
type selfMetrics struct {
	stats *collector.Stats
	descs map[string]selfDesc
}

type selfDesc struct {
	desc  *prometheus.Desc
	vtype prometheus.ValueType
}

func newSelfMetrics(stats *collector.Stats) selfMetrics {
	s := selfMetrics{stats: stats, descs: map[string]selfDesc{}}
	for _, d := range collector.SelfMetrics() {
		vtype := prometheus.GaugeValue
		if d.Type == collector.CounterType {
			vtype = prometheus.CounterValue
		}
		s.descs[d.Name] = selfDesc{newDesc(d.Name, d.Help, d.Labels), vtype}
	}
	return s
}

// Describe implements prometheus.Collector.
func (s selfMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range s.descs {
		ch <- d.desc
	}
}

// Collect implements prometheus.Collector.
func (s selfMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, sm := range s.stats.Snapshot() {
		values := make([]string, 0, len(sm.Labels)/2)
		for i := 1; i < len(sm.Labels); i += 2 {
			values = append(values, sm.Labels[i])
		}
		d := s.descs[sm.Name] // Stats holds only names of the table
		m, err := prometheus.NewConstMetric(d.desc, d.vtype, sm.Value, values...)
		if err != nil {
			m = prometheus.NewInvalidMetric(d.desc, err)
		}
		ch <- m
	}
}
