package prom

import (
	"fmt"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/entpipe/entpipe/collector"
)

// boundMetric is a binding resolved against the schema and the table: its
// measurement state, field slot, descriptor and value type, and the index
// of the label it is split by (-1: none).
type boundMetric struct {
	def   binding
	meas  *measState
	slot  int
	split int
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

// bind resolves the bindings against defs, collector.Metrics() by name; an
// error means the bindings, the table of collector.Metrics and
// collector.Schema disagree, a programming mistake caught by any test.
func (e *Exporter) bind(defs map[string]collector.MetricDef) error {
	for _, b := range bindings() {
		def, ok := defs[b.metric]
		m := e.meas[b.measurement]
		if !ok || m == nil {
			return fmt.Errorf("prom: BUG: %s: no row in collector.Metrics, or unknown measurement %s", b.metric, b.measurement)
		}
		slot, ok := m.fields[b.field]
		if !ok {
			return fmt.Errorf("prom: BUG: %s: unknown field %s.%s", b.metric, b.measurement, b.field)
		}
		labels := slices.Clone(m.tags)
		split := slices.Index(labels, b.split)
		if b.split != "" {
			if split < 0 {
				return fmt.Errorf("prom: BUG: %s: %s has no tag %s", b.metric, b.measurement, b.split)
			}
			labels = slices.Delete(labels, split, split+1)
		}
		if !slices.Equal(labels, def.Labels) {
			return fmt.Errorf("prom: BUG: %s: labels %q in collector.Metrics, %q from the schema", b.metric, def.Labels, labels)
		}
		if (slot.kind == collector.Additive) != (def.Type == collector.CounterType) || def.Type == collector.HistogramType ||
			(b.sinceBucket && slot.kind != collector.Level) {
			return fmt.Errorf("prom: BUG: %s: a %s in collector.Metrics, from a field of kind %d", b.metric, def.Type, slot.kind)
		}
		if b.scale == 0 {
			b.scale = 1
		}
		e.metrics = append(e.metrics, boundMetric{b, m, slot.idx, split, descOf(def), valueType(def.Type)})
	}
	h := requestDuration()
	m := e.meas[h.measurement]
	if m == nil {
		return fmt.Errorf("prom: BUG: unknown measurement %s", h.measurement)
	}
	e.histogram = boundHistogram{def: h, meas: m, desc: newDesc(defs, h.name)}
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
	ch <- e.capacityDescs.perDay
	ch <- e.capacityDescs.peak
}

// Collect implements prometheus.Collector: one sample per series and field
// that received a value.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, m := range e.capacity {
		ch <- m
	}
	for _, b := range e.metrics {
		for _, sr := range b.meas.series {
			if !sr.present[b.slot] {
				continue
			}
			labels := sr.labels
			if b.split >= 0 {
				if labels[b.split] != b.def.splitValue {
					continue
				}
				labels = slices.Delete(slices.Clone(labels), b.split, b.split+1)
			}
			v := sr.values[b.slot] * b.def.scale
			if b.def.sinceBucket {
				v += float64(sr.levelTime[b.slot].UnixNano()) / 1e9
			}
			ch <- prometheus.MustNewConstMetric(b.desc, b.vtype, v, labels...)
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

// capacityDescs describe the ent_capacity_* gauges of the configuration's
// capacity: section.
type capacityDescs struct{ perDay, peak *prometheus.Desc }

func newCapacityDescs(defs map[string]collector.MetricDef) capacityDescs {
	return capacityDescs{perDay: newDesc(defs, collector.MetricCapacityVisitsPerDay), peak: newDesc(defs, collector.MetricCapacityPeakHour)}
}

// metrics returns the samples of list.
func (c capacityDescs) metrics(list []Capacity) ([]prometheus.Metric, error) {
	out := make([]prometheus.Metric, 0, 2*len(list))
	for _, item := range list {
		for desc, v := range map[*prometheus.Desc]float64{c.perDay: item.VisitsPerDay, c.peak: item.PeakHourRatio} {
			m, err := prometheus.NewConstMetric(desc, prometheus.GaugeValue, v, item.Department, item.ENT)
			if err != nil {
				return nil, fmt.Errorf("prom: capacity %s/%s: %w", item.Department, item.ENT, err)
			}
			out = append(out, m)
		}
	}
	return out, nil
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
		s.descs[d.Name] = selfDesc{descOf(d), valueType(d.Type)}
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
