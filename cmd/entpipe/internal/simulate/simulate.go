// Package simulate generates the bulletin-2020 scenario: the access logs of
// the three ENTs (ENT 92, eCollège 78, Oze 78) and the Enseigno exports of
// the 2019–2020 school year, shaped after the spring-2020 bulletin, plus an
// entpipe configuration that reads them. It is what a newcomer runs first
// and what the calibration tests import.
//
// How the curves were chosen: a day's volume is the ENT's reference volume
// (a school day, or a lockdown weekday after the 16 March 2020 closure)
// times a calendar factor (weekday, Wednesday, weekend, zone C holidays,
// September ramp, the Friday 13 March rush), see profileOf. Visits arrive
// minute by minute as a Poisson process whose rate follows an hourly curve
// of the day's kind (hourly), with Europe/Paris local hours, so the 23-hour
// 29 March 2020 keeps its shape and its offsets switch from +0100 to +0200 at
// 02:00. A visit is a session of page views (exponential length, mean 4.5
// pages, 6 in lockdown) separated by think times (mean 50 s); 4 % pause
// for more than 30 minutes, exercising the visit rule. Visitors are drawn
// from each ENT's accounts by profile, which sets unique visitors.
//
// Generation is deterministic (a seed fixes every byte, whatever the
// parallelism) and streaming: a day holds only its sessions in progress.
package simulate

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Scenario is the only scenario name, the spring-2020 bulletin.
const Scenario = "bulletin-2020"

// Options say what to generate. From and To are civil dates (inclusive).
type Options struct {
	Out      string
	From, To time.Time
	Scale    float64 // 1 = the bulletin's volumes
	Seed     uint64
	// ENTs restricts the platforms (names of ENTs()); nil means all three.
	ENTs []string
	// Workers bounds the files written in parallel; 0 means GOMAXPROCS.
	Workers int
	// InfluxURL is the InfluxDB of the generated configuration; "" means
	// http://127.0.0.1:8086.
	InfluxURL string
}

// FileStat is one written file.
type FileStat struct {
	Path  string
	Lines int64
	Bytes int64
}

// Summary is what Run wrote.
type Summary struct {
	Files    []FileStat // in a stable order: logs by ENT and day, exports, config
	Duration time.Duration
}

// Lines returns the total lines written.
func (s Summary) Lines() (n int64) {
	for _, f := range s.Files {
		n += f.Lines
	}
	return n
}

// Bytes returns the total bytes written (compressed sizes for .gz files).
func (s Summary) Bytes() (n int64) {
	for _, f := range s.Files {
		n += f.Bytes
	}
	return n
}

// Run writes the scenario under o.Out: logs/<ent>/access.log-YYYYMMDD
// (gzipped except the last day), enseigno/enseigno-<dep>.csv,
// infra/infra_load.lp.gz and entpipe.yaml. Existing files are replaced. It stops early when ctx is
// done.
func Run(ctx context.Context, o Options) (Summary, error) {
	began := time.Now()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return Summary{}, fmt.Errorf("simulate: %w", err)
	}
	if o.To.Before(o.From) || o.Scale <= 0 {
		return Summary{}, fmt.Errorf("simulate: want from <= to and a positive scale, got %s..%s scale %g",
			o.From.Format(time.DateOnly), o.To.Format(time.DateOnly), o.Scale)
	}
	ents, err := selectENTs(o.ENTs)
	if err != nil {
		return Summary{}, fmt.Errorf("simulate: %w", err)
	}
	var tasks []logTask
	for i := range ents {
		for d := o.From; !d.After(o.To); d = d.AddDate(0, 0, 1) {
			name := "access.log-" + d.Format("20060102")
			if d.Before(o.To) {
				name += ".gz"
			}
			tasks = append(tasks, logTask{ent: &ents[i], day: d, path: filepath.Join(o.Out, "logs", ents[i].Name, name)})
		}
		if err := os.MkdirAll(filepath.Join(o.Out, "logs", ents[i].Name), 0o755); err != nil {
			return Summary{}, fmt.Errorf("simulate: %w", err)
		}
	}
	files := make([]FileStat, len(tasks))
	if err := runTasks(ctx, o.Workers, len(tasks), func(i int) (err error) {
		files[i], err = tasks[i].write(loc, o.Scale, o.Seed)
		return err
	}); err != nil {
		return Summary{}, err
	}
	exports, err := writeEnseigno(o.Out, o.From, o.To, o.Seed)
	if err != nil {
		return Summary{}, err
	}
	files = append(files, exports...)
	load, err := writeLoad(o.Out, ents, o.From, o.To, loc, o.Seed)
	if err != nil {
		return Summary{}, err
	}
	files = append(files, load)
	influxURL := o.InfluxURL
	if influxURL == "" {
		influxURL = "http://127.0.0.1:8086"
	}
	cfg, err := writeConfig(o.Out, influxURL, ents)
	if err != nil {
		return Summary{}, err
	}
	files = append(files, cfg)
	return Summary{Files: files, Duration: time.Since(began)}, nil
}

// CheckENTs reports a name of names that is not one of ENTNames(), or that
// is repeated (two workers would write the same files, and the generated
// configuration would list the source twice), as Run would: a command can
// refuse its flags before generating anything.
func CheckENTs(names []string) error {
	_, err := selectENTs(names)
	return err
}

// selectENTs returns the ENTs named (all of them when names is nil), see
// CheckENTs.
func selectENTs(names []string) ([]ENT, error) {
	all := ENTs()
	if names == nil {
		return all, nil
	}
	var out []ENT
	for i, n := range names {
		j := slices.IndexFunc(all, func(e ENT) bool { return e.Name == n })
		switch {
		case j < 0:
			return nil, fmt.Errorf("unknown ENT %q (want some of %s)", n, strings.Join(ENTNames(), ", "))
		case slices.Contains(names[:i], n):
			return nil, fmt.Errorf("ENT %q listed twice", n)
		}
		out = append(out, all[j])
	}
	return out, nil
}

// runTasks runs do(0..n-1) on at most workers goroutines and returns the
// first error; remaining tasks are skipped after an error or when ctx ends.
func runTasks(ctx context.Context, workers, n int, do func(i int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	next := make(chan int)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range next {
				if errs[w] == nil {
					errs[w] = do(i)
				}
			}
		})
	}
	var err error
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	return errors.Join(append(errs, err)...)
}

type logTask struct {
	ent  *ENT
	day  time.Time
	path string
}

// write generates one day file, gzipped when its name says so, through a
// temporary name so that a crash never leaves a half file under the final
// name.
func (t logTask) write(loc *time.Location, scale float64, seed uint64) (FileStat, error) {
	tmp := t.path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return FileStat{}, fmt.Errorf("simulate: %w", err)
	}
	defer os.Remove(tmp) // after a successful rename this is a no-op
	var w io.Writer = f
	var zw *gzip.Writer
	if filepath.Ext(t.path) == ".gz" {
		zw, _ = gzip.NewWriterLevel(f, gzip.BestSpeed) // a valid level: no error
		w = zw
	}
	lines, err := writeDay(w, t.ent, t.day, loc, scale, seed)
	if err == nil && zw != nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, t.path)
	}
	if err != nil {
		return FileStat{}, fmt.Errorf("simulate %s %s: %w", t.ent.Name, t.day.Format(time.DateOnly), err)
	}
	st, err := os.Stat(t.path)
	if err != nil {
		return FileStat{}, fmt.Errorf("simulate: %w", err)
	}
	return FileStat{Path: t.path, Lines: lines, Bytes: st.Size()}, nil
}
