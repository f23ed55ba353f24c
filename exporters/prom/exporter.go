// Package prom exposes entpipe's points as live Prometheus metrics and
// serves them over HTTP. The Exporter is a collector.Sink fed the same
// bucket totals as InfluxDB and turns them into counters and gauges on a
// registry the caller owns; the Server serves that registry with the
// Prometheus exporter conventions (/metrics, /-/healthy, /-/ready, web
// config file for TLS and basic auth).
package prom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"

	"github.com/entpipe/entpipe/collector"
)

// DefaultHorizon is how long the Exporter remembers a bucket's last total
// when Options.Horizon is zero. Rewrites of older buckets are ignored.
const DefaultHorizon = 2 * time.Hour

// Options configures an Exporter. Only Log is required.
type Options struct {
	// Stats is exported at scrape time (the entpipe_* self-metrics). The
	// exporter also counts its own label overflows and late points in it.
	// Nil means a private Stats.
	Stats *collector.Stats
	// Vocabulary lists the allowed values of a label key (profile, class,
	// service, ent…). A value outside its list, or not valid UTF-8, is
	// exported as collector.Other and counted in entpipe_label_overflows_total.
	// Keys absent from the map are not restricted.
	Vocabulary map[string][]string
	// Capacity is exported as ent_capacity_* gauges for the alert rules.
	Capacity []Capacity
	// Horizon bounds the memory of rewritable buckets (DefaultHorizon if 0):
	// a bucket older than a series' newest one by more than Horizon no
	// longer changes counters.
	Horizon time.Duration
	Log     *slog.Logger
}

// Exporter is a collector.Sink that keeps live metrics of the points it
// receives and a prometheus.Collector that exposes them.
//
// Points are bucket totals that may be rewritten: for Additive fields the
// counter grows by the difference between a bucket's new total and the one
// last seen for that bucket; Level fields hold the value of the newest
// bucket and never go back to an older one. Write and Collect are safe for
// concurrent use; Write does not retain the points.
type Exporter struct {
	log       *slog.Logger
	stats     *collector.Stats
	meas      map[string]*measState
	metrics   []boundMetric
	histogram boundHistogram
	capacityDescs

	mu         sync.Mutex // guards the series of every measState and what follows
	vocabulary map[string]map[string]bool
	capacity   []prometheus.Metric
	folded     map[string]bool // label keys already reported as overflowing
}

// NewExporter builds an Exporter and registers it on reg, with the
// self-metrics of opts.Stats and entpipe_build_info (client_golang's version
// collector, labelled from github.com/prometheus/common/version, which the
// build sets with -ldflags).
func NewExporter(reg prometheus.Registerer, opts Options) (*Exporter, error) {
	if opts.Log == nil {
		return nil, errors.New("prom: Options.Log is required")
	}
	if opts.Horizon <= 0 {
		opts.Horizon = DefaultHorizon
	}
	if opts.Stats == nil {
		opts.Stats = collector.NewStats()
	}
	defs := collector.MetricsByName(collector.Metrics())
	e := &Exporter{log: opts.Log, stats: opts.Stats, meas: map[string]*measState{}, folded: map[string]bool{},
		capacityDescs: newCapacityDescs(defs)}
	for _, ms := range collector.Schema() {
		e.meas[ms.Name] = newMeasState(ms, opts.Horizon)
	}
	if err := e.bind(defs); err != nil {
		return nil, err
	}
	if err := e.Configure(opts.Vocabulary, opts.Capacity); err != nil {
		return nil, err
	}
	for what, c := range map[string]prometheus.Collector{"exporter": e, "self-metrics": newSelfMetrics(opts.Stats),
		"build info": versioncollector.NewCollector("entpipe")} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("prom: register %s: %w", what, err)
		}
	}
	return e, nil
}

// Configure replaces the vocabulary and the capacity (see Options): a
// configuration reload calls it. Series already folded into "other" stay
// as they are; values newly allowed get series of their own from then on.
func (e *Exporter) Configure(vocabulary map[string][]string, capacity []Capacity) error {
	c, err := e.capacityDescs.metrics(capacity)
	if err != nil {
		return err
	}
	vocab := map[string]map[string]bool{}
	for key, values := range vocabulary {
		set := map[string]bool{collector.Other: true}
		for _, v := range values {
			set[v] = true
		}
		vocab[key] = set
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.vocabulary, e.capacity = vocab, c
	return nil
}

// Write implements collector.Sink. Points of unknown measurements are
// ignored (a newer source may write them before the exporter knows them);
// a field that is not a number is an error, the point's other fields are
// still used.
func (e *Exporter) Write(_ context.Context, points []collector.Point) error {
	var errs []error
	fields := map[string]float64{}
	labels := make([]string, 0, 8)
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range points {
		m := e.meas[p.Measurement]
		if m == nil {
			continue
		}
		clear(fields)
		for k, v := range p.Fields {
			switch n := v.(type) {
			case int64:
				fields[k] = float64(n)
			case float64:
				fields[k] = n
			case int:
				fields[k] = float64(n)
			default:
				errs = append(errs, fmt.Errorf("%s field %s: %T is not a number", p.Measurement, k, v))
			}
		}
		labels = labels[:0]
		var raw []string
		for _, tag := range m.tags {
			v := p.Tags[tag]
			if f := e.fold(tag, v); f != v {
				if raw == nil {
					raw = make([]string, 0, len(m.tags))
				}
				raw = append(raw, tag+"="+v)
				v = f
			}
			labels = append(labels, v)
		}
		if !m.apply(m.seriesFor(labels), joinRaw(raw), p.Time, fields) {
			e.stats.Counter(collector.MetricPromLatePoints, "measurement", m.name).Inc()
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("prom: %w", errors.Join(errs...))
	}
	return nil
}

// Flush implements collector.Sink. Live metrics are not durable: nothing to do.
func (e *Exporter) Flush(context.Context) error { return nil }

// fold returns v, or collector.Other when the vocabulary of key excludes it,
// counting the overflow and logging the first one of each key. The value
// itself is never logged: it may be an identity that leaked into a tag.
func (e *Exporter) fold(key, v string) string {
	set, restricted := e.vocabulary[key]
	if (restricted && !set[v]) || !utf8.ValidString(v) {
		e.stats.Counter(collector.MetricLabelOverflows, "source", overflowSource, "label", key).Inc()
		if !e.folded[key] {
			e.folded[key] = true
			e.log.Warn("label value outside the vocabulary folded into other", "label", key,
				"metric", collector.MetricLabelOverflows)
		}
		return collector.Other
	}
	return v
}

// overflowSource is the source label of the overflows the exporter folds
// itself (collectors fold first and count under their own name).
const overflowSource = "prom"

func joinRaw(raw []string) string {
	if raw == nil {
		return ""
	}
	n := 0
	for _, r := range raw {
		n += len(r) + 1
	}
	b := make([]byte, 0, n)
	for _, r := range raw {
		b = append(append(b, r...), 0xff)
	}
	return string(b)
}
