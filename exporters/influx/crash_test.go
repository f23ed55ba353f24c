package influx_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/exporters/influx"
	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// The crash test re-executes the test binary as a writer process (see
// TestMain) and kills it with SIGKILL.
const (
	crashChildEnv = "ENTPIPE_INFLUX_CRASH_CHILD" // "url bucket datadir limit"
	crashRounds   = 60
	crashMinutes  = 30
)

func TestMain(m *testing.M) {
	if args := os.Getenv(crashChildEnv); args != "" {
		os.Exit(crashChild(args))
	}
	os.Exit(m.Run())
}

// crashRound is round r of the crash writer: new buckets (a loss shows in
// the sums) and a rewrite of one "latest" bucket per profile (a batch
// replayed out of order shows in its final value).
func crashRound(r int) []collector.Point {
	start := time.Date(2020, 3, 16, 0, 0, 0, 0, time.UTC)
	var pts []collector.Point
	for i, profile := range collector.Profiles() {
		tags := map[string]string{collector.TagDepartment: "78", collector.TagENT: "oze78", collector.TagProfile: profile}
		for m := range crashMinutes {
			pts = append(pts, collector.Point{Measurement: collector.MeasTraffic, Tags: tags,
				Fields: map[string]any{collector.FieldVisits: int64(r*100 + m + i), collector.FieldPageViews: int64(1)},
				Time:   start.Add(time.Duration(r*crashMinutes+m) * time.Minute)})
		}
		pts = append(pts, collector.Point{Measurement: collector.MeasActive, Tags: tags,
			Fields: map[string]any{collector.FieldOpenVisits: int64(r)}, Time: start.Add(-time.Hour)})
	}
	return pts
}

// crashChild writes the rounds after the last acknowledged one, up to
// limit, recording each round in <datadir>/ack once Flush returned: a
// source's checkpoint. Below crashRounds it then waits to be killed, so
// the parent's kill lands within a few rounds of its target.
func crashChild(args string) int {
	var url, bucket, dir string
	var limit int
	if _, err := fmt.Sscan(args, &url, &bucket, &dir, &limit); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cfg := testConfig(url, bucket)
	cfg.BatchSize, cfg.FlushInterval = 100, 20*time.Millisecond
	sink, err := influx.New(cfg, influx.Options{DataDir: dir, Log: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	for r := readAck(dir) + 1; r < limit; r++ {
		if err := sink.Write(ctx, crashRound(r)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := sink.Flush(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		tmp := filepath.Join(dir, "ack.tmp")
		if err := os.WriteFile(tmp, []byte(strconv.Itoa(r)), 0o600); err != nil {
			return 1
		}
		if err := os.Rename(tmp, filepath.Join(dir, "ack")); err != nil {
			return 1
		}
	}
	if limit < crashRounds {
		select {} // killed here
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := sink.Close(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// readAck returns the last acknowledged round, -1 before the first.
func readAck(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "ack"))
	if err != nil {
		return -1
	}
	r, err := strconv.Atoi(string(b))
	if err != nil {
		return -1
	}
	return r
}

// TestIntegrationCrash kills the writer with SIGKILL at random moments,
// with InfluxDB reachable and refused (the spool in use), restarts it each time from
// its last acknowledged round, and compares InfluxDB with the totals of an
// undisturbed run: equal, to the unit.
func TestIntegrationCrash(t *testing.T) {
	s := influxtest.Start(t)
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("ENTPIPE_CRASH_SEED"), 10, 64); err == nil {
		seed = v // replay a failure's schedule
	}
	rng := rand.New(rand.NewPCG(seed, 92))
	t.Logf("seed %d", seed)
	stderr, err := os.Create(filepath.Join(t.TempDir(), "child.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	start := func(limit int) (*exec.Cmd, chan error) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %s %d", crashChildEnv, s.URL, s.Bucket, dir, limit))
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		return cmd, done
	}
	// Runs 0-1 write to influxd; 2-3 spool (the proxy refuses), run 3 until
	// near the end; run 4 restarts with a full spool and influxd back, so
	// its new batches must queue behind the replay; the final run replays
	// what is left and writes the last rounds. Each run is killed just
	// after a random acknowledged round, in the middle of the next one.
	for run := range 5 {
		target := readAck(dir) + 1 + rng.IntN(6)
		switch run {
		case 2:
			s.Proxy.Refuse()
		case 3:
			target = crashRounds - 6
		case 4:
			s.Proxy.Normal()
			target = min(readAck(dir)+1+rng.IntN(3), crashRounds-2)
		}
		cmd, done := start(min(target+1+rng.IntN(3), crashRounds-1))
		waitFor(t, fmt.Sprintf("run %d to acknowledge round %d", run, target), 2*time.Minute, func() bool {
			select {
			case err := <-done:
				log, _ := os.ReadFile(stderr.Name())
				t.Fatalf("run %d exited before the kill (%v):\n%s", run, err, log)
			default:
			}
			return readAck(dir) >= target
		})
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-done
		t.Logf("run %d killed after round %d", run, readAck(dir))
	}
	_, done := start(crashRounds)
	if err := <-done; err != nil {
		log, _ := os.ReadFile(stderr.Name())
		t.Fatalf("final run: %v\n%s", err, log)
	}

	var wantVisits, wantPoints int64
	for r := range crashRounds {
		for _, p := range crashRound(r) {
			if p.Measurement == collector.MeasTraffic {
				wantVisits += p.Fields[collector.FieldVisits].(int64)
				wantPoints++
			}
		}
	}
	res := s.MustQuery(`SELECT sum(visits), count(page_views) FROM ent_traffic; SELECT min(open_visits), max(open_visits), count(open_visits) FROM ent_active`)
	got := fmt.Sprint(res[0].Values[0][1:], res[1].Values[0][1:])
	want := fmt.Sprint([]any{wantVisits, wantPoints}, []any{crashRounds - 1, crashRounds - 1, len(collector.Profiles())})
	if got != want {
		log, _ := os.ReadFile(stderr.Name())
		t.Fatalf("after kills: [sum(visits) count] [latest min max count] = %s, want %s\nwriter logs:\n%s", got, want, log)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "spool", "*.spool")); len(files) != 0 {
		t.Errorf("spool not drained: %v", files)
	}
}
