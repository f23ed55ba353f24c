package main

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/exporters/prom"
)

// reloader applies the configuration file again to a running `entpipe
// run`, on SIGHUP and on POST /-/reload (--web.enable-lifecycle), as
// Prometheus does. The new file is loaded and checked whole first: if it
// is invalid, or changes what only a restart can change (restartOnly), it
// is refused with every problem in the log and the answer, and the
// configuration running stays as it was. Otherwise the exporter takes the
// new capacity and the label values of both files, the Runner starts the
// added sources, stops the removed ones, restarts the changed ones from
// their checkpoints and leaves the others running, and the exporter keeps
// the new file's values only. entpipe_config_last_reload_successful
// and _success_timestamp_seconds say how the last attempt went.
type reloader struct {
	path     string
	runner   *collector.Runner
	exporter *prom.Exporter
	log      *slog.Logger
	ok, at   *collector.Gauge

	mu sync.Mutex // one reload at a time; guards d
	d  *deps      // the configuration running, and what it was built with
}

func newReloader(path string, d *deps, runner *collector.Runner, exporter *prom.Exporter, log *slog.Logger) *reloader {
	r := &reloader{path: path, d: d, runner: runner, exporter: exporter, log: log,
		ok: d.stats.Gauge(collector.MetricReloadOK), at: d.stats.Gauge(collector.MetricReloadTime)}
	r.ok.Set(1) // the configuration entpipe started with
	r.at.Set(float64(time.Now().Unix()))
	return r
}

// reload applies the file; its error says why nothing was applied. ctx is
// the caller's (an HTTP request's): a reload under way is not cancelled by
// it, since stopping sources half-way would leave a mixed configuration.
func (r *reloader) reload(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch, err := r.apply()
	if err != nil {
		r.ok.Set(0)
		r.log.Error("configuration reload refused, the previous configuration keeps running", "file", r.path, "err", err)
		return err
	}
	r.ok.Set(1)
	r.at.Set(float64(time.Now().Unix()))
	r.log.Info("configuration reloaded", "file", r.path,
		"started", ch.Started, "stopped", ch.Stopped, "restarted", ch.Restarted)
	return nil
}

func (r *reloader) apply() (collector.Changes, error) {
	cfg, err := loadConfig(r.path)
	if err != nil {
		return collector.Changes{}, err // every problem of the file, with its YAML path
	}
	if keys := restartOnly(r.d.cfg, cfg); len(keys) > 0 {
		return collector.Changes{}, fmt.Errorf("%s changed: restart entpipe to apply that; nothing of the new file was applied",
			strings.Join(keys, ", "))
	}
	d := r.d.with(cfg)
	// The exporter allows the values of both configurations while the
	// sources change: added sources collect as they start, and stopped ones
	// flush on their way out, and neither may fold into "other". (The new
	// capacity was validated with the file; Configure only builds it.)
	running, next := r.d.vocabulary(), d.vocabulary()
	if err := r.exporter.Configure(widened(running, next), cfg.Capacity); err != nil {
		return collector.Changes{}, err
	}
	ch, err := r.runner.Apply(d.sources())
	if err != nil {
		// Apply changed nothing; Configure accepted the running capacity
		// when it was applied.
		_ = r.exporter.Configure(running, r.d.cfg.Capacity)
		return collector.Changes{}, err
	}
	_ = r.exporter.Configure(next, cfg.Capacity) // the capacity accepted above
	warnExposedSecrets(cfg, r.log)
	r.d = d
	return ch, nil
}

// restartOnly lists the keys whose change a reload cannot apply: the
// InfluxDB sink (its spool, batches in flight and connection belong to one
// configuration), data_dir (checkpoints and spool would move under running
// sources), timezone and salt_file (sources that keep running would count
// with the old ones, restarted ones with the new: one ENT's numbers would
// mix two clocks or two hash salts).
func restartOnly(running, next *Config) []string {
	var keys []string
	for _, k := range []struct {
		key  string
		same bool
	}{
		{"data_dir", running.DataDir == next.DataDir},
		{"influx", reflect.DeepEqual(running.Influx, next.Influx)},
		{"salt_file", running.SaltFile == next.SaltFile},
		{"timezone", running.Timezone == next.Timezone},
	} {
		if !k.same {
			keys = append(keys, k.key)
		}
	}
	return keys
}

// widened returns a vocabulary (see prom.Options) that allows what a or b
// allows: a key both restrict gets the values of both, a key either leaves
// unrestricted stays so.
func widened(a, b map[string][]string) map[string][]string {
	out := map[string][]string{}
	for key, values := range a {
		if more, ok := b[key]; ok {
			out[key] = append(slices.Clone(values), more...)
		}
	}
	return out
}
