package prom

import (
	"slices"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// measState is the live state of one measurement: one series per distinct
// set of (folded) label values.
type measState struct {
	name    string
	tags    []string              // schema tag keys, the label names in order
	fields  map[string]fieldSlot  // field key → slot in series arrays
	kinds   []collector.FieldKind // by slot
	series  map[string]*series    // key: label values joined by "\xff"
	horizon time.Duration
	key     []byte // scratch buffer of seriesFor, guarded like series
}

type fieldSlot struct {
	idx  int
	kind collector.FieldKind
}

// series holds, for one label set, the running total of every Additive
// field (a Prometheus counter) and the newest value of every Level field
// (a gauge), with what is needed to turn rewritten bucket totals into
// increments: the total last seen for each bucket younger than the horizon.
type series struct {
	labels    []string
	values    []float64   // by slot: counter total or gauge value
	present   []bool      // by slot: a value was ever received
	levelTime []time.Time // by slot: bucket time of a gauge's value
	newest    time.Time   // newest bucket seen, the horizon's reference
	evicted   time.Time   // buckets before this were forgotten
	buckets   map[bucketKey][]float64
}

// bucketKey identifies one bucket of a series. raw holds the original tag
// values when vocabulary folding merged several of them into this series,
// so that each keeps its own running bucket total.
type bucketKey struct {
	t   int64
	raw string
}

func newMeasState(ms collector.MeasurementSchema, horizon time.Duration) *measState {
	s := &measState{name: ms.Name, tags: ms.Tags, fields: map[string]fieldSlot{},
		series: map[string]*series{}, horizon: horizon}
	// Slots in a fixed order: sorted field keys, so Collect is stable.
	keys := make([]string, 0, len(ms.Fields))
	for k := range ms.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		s.fields[k] = fieldSlot{i, ms.Fields[k]}
		s.kinds = append(s.kinds, ms.Fields[k])
	}
	return s
}

// seriesFor returns the series of labels, creating it.
func (m *measState) seriesFor(labels []string) *series {
	m.key = m.key[:0]
	for i, l := range labels {
		if i > 0 {
			m.key = append(m.key, 0xff)
		}
		m.key = append(m.key, l...)
	}
	if sr, ok := m.series[string(m.key)]; ok { // no allocation for the lookup
		return sr
	}
	key := string(m.key)
	n := len(m.kinds)
	sr := &series{labels: append([]string(nil), labels...), values: make([]float64, n),
		present: make([]bool, n), levelTime: make([]time.Time, n), buckets: map[bucketKey][]float64{}}
	m.series[key] = sr
	return sr
}

// apply merges one point's fields into sr. It reports false when the
// point's bucket is older than the horizon, so its additive fields were
// ignored: the bucket may already have been counted and then forgotten, and
// counting it again would double it.
func (m *measState) apply(sr *series, raw string, t time.Time, fields map[string]float64) bool {
	if t.After(sr.newest) {
		sr.newest = t
		sr.evict(m.horizon)
	}
	late := t.Before(sr.evicted)
	var last []float64
	for k, v := range fields {
		slot, ok := m.fields[k]
		if !ok {
			continue
		}
		i := slot.idx
		if slot.kind == collector.Level {
			if !sr.present[i] || !t.Before(sr.levelTime[i]) {
				sr.values[i], sr.levelTime[i], sr.present[i] = v, t, true
			}
			continue
		}
		if late {
			continue
		}
		if last == nil {
			key := bucketKey{t.UnixNano(), raw}
			if last = sr.buckets[key]; last == nil {
				last = make([]float64, len(m.kinds))
				sr.buckets[key] = last
			}
		}
		// A bucket total only grows; a smaller one (a replay of an older
		// state) adds nothing, and the larger total is kept.
		if v > last[i] {
			sr.values[i] += v - last[i]
			last[i] = v
		}
		sr.present[i] = true
	}
	return !late || !m.hasAdditive(fields)
}

func (m *measState) hasAdditive(fields map[string]float64) bool {
	for k := range fields {
		if slot, ok := m.fields[k]; ok && slot.kind == collector.Additive {
			return true
		}
	}
	return false
}

// evict forgets the buckets older than newest-horizon. It runs when a
// series' newest bucket advances, so at most once per bucket period.
func (sr *series) evict(horizon time.Duration) {
	limit := sr.newest.Add(-horizon)
	if !limit.After(sr.evicted) {
		return
	}
	sr.evicted = limit
	cut := limit.UnixNano()
	for k := range sr.buckets {
		if k.t < cut {
			delete(sr.buckets, k)
		}
	}
}
