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
// configuration running stays as it was. Otherwise the Runner starts the
// added sources, stops the removed ones, restarts the changed ones from
// their checkpoints and leaves the others running, and the exporter takes
// the new vocabulary and capacity. entpipe_config_last_reload_successful
// and _success_timestamp_seconds say how the last attempt went.
type reloader struct {
	path     string
	runner   *collector.Runner
	exporter *prom.Exporter
	log      *slog.Logger
	ok, at   *collector.Gauge

	mu  sync.Mutex // one reload at a time; guards d
	d   *deps      // the configuration running, and what it was built with
	now func() time.Time
}

func newReloader(path string, d *deps, runner *collector.Runner, exporter *prom.Exporter, log *slog.Logger) *reloader {
	r := &reloader{path: path, d: d, runner: runner, exporter: exporter, log: log, now: time.Now,
		ok: d.stats.Gauge(collector.MetricReloadOK), at: d.stats.Gauge(collector.MetricReloadTime)}
	r.ok.Set(1) // the configuration entpipe started with
	r.at.Set(float64(r.now().Unix()))
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
	r.at.Set(float64(r.now().Unix()))
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
	ch, err := r.runner.Apply(d.sources())
	if err != nil {
		return collector.Changes{}, err
	}
	if err := r.exporter.Configure(d.vocabulary(), cfg.Capacity); err != nil {
		return ch, err
	}
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
	for key, same := range map[string]bool{
		"influx":    reflect.DeepEqual(running.Influx, next.Influx),
		"data_dir":  running.DataDir == next.DataDir,
		"timezone":  running.Timezone == next.Timezone,
		"salt_file": running.SaltFile == next.SaltFile,
	} {
		if !same {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys
}
