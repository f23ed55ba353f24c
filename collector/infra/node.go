package infra

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/entpipe/entpipe/collector"
)

// node derives the infra_load fields of one node_exporter target. It keeps
// the counters of the previous scrape; only its target's goroutine uses it.
type node struct {
	include, exclude *regexp.Regexp
	prev             *nodeSample
}

// nodeSample is what one scrape says. Counters are keyed by their label
// (cpu, device); a series absent from the page is absent from the map.
type nodeSample struct {
	at                 time.Time
	boot               float64 // node_boot_time_seconds, 0 when absent
	memTotal, memAvail float64
	hasMem, hasLoad    bool
	load1              float64
	cpuTotal, cpuIdle  map[string]float64 // seconds per cpu: every mode; idle + iowait
	rx, tx, diskBusy   map[string]float64 // bytes and io seconds per device
}

// parse reads a text exposition page and returns the fields it supports:
// levels always, rates when the previous scrape is comparable.
func (n *node) parse(body []byte, now time.Time) (map[string]any, error) {
	cur, err := n.read(body)
	if err != nil {
		return nil, err
	}
	cur.at = now
	fields := map[string]any{}
	if cur.hasMem && cur.memTotal > 0 {
		fields[collector.FieldMemoryUtilization] = clamp01(1 - cur.memAvail/cur.memTotal)
	}
	if cur.hasLoad && len(cur.cpuTotal) > 0 {
		fields[collector.FieldLoad1PerCore] = cur.load1 / float64(len(cur.cpuTotal))
	}
	if prev := n.prev; prev != nil && sameBoot(prev, cur) {
		n.rates(prev, cur, fields)
	}
	n.prev = cur
	return fields, nil
}

// sameBoot reports whether counters of prev and cur belong to one boot
// and one forward interval: a reboot resets every counter at once, and a
// rate across it would be negative or a spike.
func sameBoot(prev, cur *nodeSample) bool {
	if !cur.at.After(prev.at) {
		return false
	}
	return prev.boot == 0 || cur.boot == 0 || math.Abs(cur.boot-prev.boot) < 2
}

// rates adds the counter-derived fields. Series present in only one of the
// scrapes, or whose counter went down (a reset), are left out.
func (n *node) rates(prev, cur *nodeSample, fields map[string]any) {
	dt := cur.at.Sub(prev.at).Seconds()
	var total, idle float64
	for cpu, t := range cur.cpuTotal {
		pt, ok1 := prev.cpuTotal[cpu]
		pi, ok2 := prev.cpuIdle[cpu]
		dTotal, dIdle := t-pt, cur.cpuIdle[cpu]-pi
		if !ok1 || !ok2 || dTotal < 0 || dIdle < 0 || dIdle > dTotal {
			continue
		}
		total += dTotal
		idle += dIdle
	}
	if total > 0 {
		fields[collector.FieldCPUUtilization] = clamp01(1 - idle/total)
	}
	if d, ok := deltaSum(prev.rx, cur.rx); ok {
		fields[collector.FieldNetReceiveBps] = d / dt
	}
	if d, ok := deltaSum(prev.tx, cur.tx); ok {
		fields[collector.FieldNetTransmitBps] = d / dt
	}
	// The busiest disk, not the average: one saturated disk slows the ENT
	// however idle the others are.
	busiest, any := 0.0, false
	for dev, v := range cur.diskBusy {
		p, ok := prev.diskBusy[dev]
		if !ok || v < p {
			continue
		}
		busiest, any = max(busiest, (v-p)/dt), true
	}
	if any {
		fields[collector.FieldDiskIOUtilization] = clamp01(busiest)
	}
}

// deltaSum sums the increase of every series present in both maps whose
// counter did not go down; ok is false when no series qualifies.
func deltaSum(prev, cur map[string]float64) (sum float64, ok bool) {
	for k, v := range cur {
		if p, found := prev[k]; found && v >= p {
			sum += v - p
			ok = true
		}
	}
	return sum, ok
}

func clamp01(v float64) float64 { return min(1, max(0, v)) }

// errNoNodeMetrics rejects a page that parses but is not node_exporter's
// (an empty body, another exporter, a login page served with 200).
var errNoNodeMetrics = errors.New("no node_cpu_seconds_total or node_memory_MemTotal_bytes: not a node_exporter page")

// read parses the page into a sample.
func (n *node) read(body []byte) (*nodeSample, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parse exposition: %w", err)
	}
	s := &nodeSample{cpuTotal: map[string]float64{}, cpuIdle: map[string]float64{},
		rx: map[string]float64{}, tx: map[string]float64{}, diskBusy: map[string]float64{}}
	if mf := families["node_cpu_seconds_total"]; mf != nil {
		for _, m := range mf.GetMetric() {
			cpu, v := label(m, "cpu"), value(m)
			if !finite(v) {
				continue
			}
			s.cpuTotal[cpu] += v
			if mode := label(m, "mode"); mode == "idle" || mode == "iowait" {
				s.cpuIdle[cpu] += v
			}
		}
	}
	s.memTotal, s.hasMem = single(families, "node_memory_MemTotal_bytes")
	if s.hasMem {
		s.memAvail, s.hasMem = single(families, "node_memory_MemAvailable_bytes")
	}
	if len(s.cpuTotal) == 0 && !s.hasMem {
		return nil, errNoNodeMetrics
	}
	s.load1, s.hasLoad = single(families, "node_load1")
	s.boot, _ = single(families, "node_boot_time_seconds")
	n.byDevice(families["node_network_receive_bytes_total"], s.rx, true)
	n.byDevice(families["node_network_transmit_bytes_total"], s.tx, true)
	n.byDevice(families["node_disk_io_time_seconds_total"], s.diskBusy, false)
	return s, nil
}

// byDevice copies a per-device family into dst, keeping only the selected
// interfaces when network is set.
func (n *node) byDevice(mf *dto.MetricFamily, dst map[string]float64, network bool) {
	for _, m := range mf.GetMetric() {
		dev := label(m, "device")
		if network && (!n.include.MatchString(dev) || n.exclude.MatchString(dev)) {
			continue
		}
		if v := value(m); finite(v) {
			dst[dev] = v
		}
	}
}

// single returns the value of a family with one unlabelled series.
func single(families map[string]*dto.MetricFamily, name string) (float64, bool) {
	mf := families[name]
	if mf == nil || len(mf.GetMetric()) != 1 {
		return 0, false
	}
	v := value(mf.GetMetric()[0])
	return v, finite(v)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	default:
		return m.GetUntyped().GetValue()
	}
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
