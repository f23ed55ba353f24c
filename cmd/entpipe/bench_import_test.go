package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/entpipe/entpipe/cmd/entpipe/internal/simulate"
	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// importShape is one kind of import the benchmarks measure (issue 16): the
// simulator's ENT 92 logs over a span at a scale.
type importShape struct {
	name     string
	from, to time.Time
	scale    float64
}

// importShapes are the two ends of what ENTs import, and a month between:
//
//   - large-ent-days: ENT 92 at the bulletin's scale over the lockdown
//     Monday and Tuesday 30-31 March 2020 (5.6 M lines, 780 MB on disk,
//     ~177,000 visits a day). Many lines per minute bucket: line-bound.
//   - small-ent-month: March 2020 of an ENT of about 2,000 visits a day
//     (ENT 92 at scale 0.018: 0.97 M lines, 62,000 visits), the shape of
//     most ENTs and most days. A few lines per bucket: 0.25 point a line
//     (0.7 with the breakdowns by the minute), so InfluxDB's ingest takes
//     a large share of the two cores.
//   - medium-ent-month: the same month at scale 0.037, the 2.0 M lines of
//     the month issue 16 measured (about 4,000 visits a day here: the
//     simulator writes 16 lines a visit).
func importShapes() []importShape {
	return []importShape{
		{"large-ent-days", civilDay(2020, 3, 30), civilDay(2020, 3, 31), 1},
		{"small-ent-month", civilDay(2020, 3, 1), civilDay(2020, 3, 31), 0.018},
		{"medium-ent-month", civilDay(2020, 3, 1), civilDay(2020, 3, 31), 0.037},
	}
}

// shapeNamed returns the one of importShapes called name.
func shapeNamed(tb testing.TB, name string) importShape {
	tb.Helper()
	shapes := importShapes()
	i := slices.IndexFunc(shapes, func(sh importShape) bool { return sh.name == name })
	if i < 0 {
		tb.Fatalf("no import shape %q", name)
	}
	return shapes[i]
}

// BenchmarkImport measures `entpipe import` end to end as a user runs it:
// the entpipe binary reads one shape's simulated logs from disk (.gz but
// the last day), parses, aggregates and writes to a real influxd (direct,
// no test proxy), into a new database each time, until every point is
// acknowledged. In the same op it times the peers on the same files: awk
// counting lines by profile (mawk here), and GoAccess and mtail when
// installed (Debian packages goaccess, mtail; ENTPIPE_BENCH_PEERS=awk
// keeps only awk). Medians over the ops: lines/s, points/s (points the
// import wrote / its wall time), each peer's time as a multiple of awk's,
// entpipe's and influxd's CPU seconds; peak-RSS-MB is the largest. ns/op
// is the median import. ENTPIPE_BENCH_INFLUX sets other keys of the
// influx section ("concurrency: 1, batch_size: 20000"): how the defaults
// were chosen. Run it alone on the machine, three ops:
//
//	go test -run '^$' -bench 'BenchmarkImport$' -benchtime 3x -timeout 60m ./cmd/entpipe/
func BenchmarkImport(b *testing.B) {
	s := influxtest.Start(b)
	bin := entpipeBinary(b)
	for _, sh := range importShapes() {
		b.Run(sh.name, func(b *testing.B) {
			config, logs := shapeLogs(b, s, sh)
			peers := importPeers(b, logs)
			var imports []importRun
			ratios := map[string][]float64{}
			for i := 0; b.Loop(); i++ {
				db := fmt.Sprintf("bench_%s_%d", strings.ReplaceAll(sh.name, "-", "_"), i)
				s.MustQuery("CREATE DATABASE " + db)
				r := runImportBinary(b, s, bin, config, db, logs)
				imports = append(imports, r)
				s.MustQuery("DROP DATABASE " + db)
				awk, counts := peers.awk(b, r.lines)
				ratios["entpipe-x-awk"] = append(ratios["entpipe-x-awk"], r.wall.Seconds()/awk.Seconds())
				for _, p := range peers.others {
					d := p.run(b, r.lines, counts)
					ratios[p.name+"-x-awk"] = append(ratios[p.name+"-x-awk"], d.Seconds()/awk.Seconds())
				}
			}
			wall := median(imports, func(r importRun) float64 { return r.wall.Seconds() })
			b.ReportMetric(wall*1e9, "ns/op")
			b.ReportMetric(median(imports, func(r importRun) float64 { return float64(r.lines) / r.wall.Seconds() }), "lines/s")
			b.ReportMetric(median(imports, func(r importRun) float64 { return float64(r.points) / r.wall.Seconds() }), "points/s")
			b.ReportMetric(median(imports, func(r importRun) float64 { return r.cpu.Seconds() }), "entpipe-cpu-s")
			b.ReportMetric(median(imports, func(r importRun) float64 { return r.influxdCPU.Seconds() }), "influxd-cpu-s")
			b.ReportMetric(slices.MaxFunc(imports, func(a, b importRun) int { return cmp.Compare(a.rss, b.rss) }).rss/1e6, "peak-RSS-MB")
			b.ReportMetric(float64(imports[0].lines), "lines/op")
			b.ReportMetric(float64(imports[0].points), "points/op")
			for name, r := range ratios {
				b.ReportMetric(median(r, func(x float64) float64 { return x }), name)
			}
		})
	}
}

// shapeLogs simulates ENT 92 for sh and returns a configuration for
// influxd's own URL (its database replaced per run) and the logs in order.
func shapeLogs(b *testing.B, s *influxtest.Server, sh importShape) (string, []string) {
	b.Helper()
	dir := simulated(b, s, s.DirectURL(), simulate.Options{From: sh.from, To: sh.to, Scale: sh.scale, Seed: 1, ENTs: []string{"ent92"}})
	logs, err := filepath.Glob(filepath.Join(dir, "logs", "ent92", "access.log-*"))
	if err != nil || len(logs) == 0 {
		b.Fatalf("simulated logs: %v %v", logs, err)
	}
	return filepath.Join(dir, "entpipe.yaml"), logs // the names sort by day
}

// simulated runs the simulator with o into a temporary directory, its
// configuration pointing at s through url (s.URL, or s.DirectURL() to skip
// the test proxy), and returns the directory.
func simulated(tb testing.TB, s *influxtest.Server, url string, o simulate.Options) string {
	tb.Helper()
	o.Out, o.InfluxURL = tb.TempDir(), url
	if _, err := simulate.Run(tb.Context(), o); err != nil {
		tb.Fatal(err)
	}
	config := filepath.Join(o.Out, "entpipe.yaml")
	raw, err := os.ReadFile(config) // influxtest's database is not the generated ent/autogen
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(config, []byte(strings.Replace(string(raw), "bucket: ent/autogen", "bucket: "+s.Bucket, 1)), 0o600); err != nil {
		tb.Fatal(err)
	}
	return o.Out
}

// importRun is what one `entpipe import` process did and cost.
type importRun struct {
	lines, points   int64
	wall            time.Duration // from start to exit: every point acknowledged
	cpu, influxdCPU time.Duration // user and system
	rss             float64       // peak resident bytes
}

var summaryRe = regexp.MustCompile(`(?m)^lines read: +(\d+)$[\s\S]*^points: +(\d+)$`)

// runImportBinary imports logs into database db of s with the entpipe
// binary and measures it.
func runImportBinary(b *testing.B, s *influxtest.Server, bin, config, db string, logs []string) importRun {
	b.Helper()
	cfg := filepath.Join(b.TempDir(), "entpipe.yaml")
	raw, err := os.ReadFile(config)
	if err != nil {
		b.Fatal(err)
	}
	influxKeys := "" // ENTPIPE_BENCH_INFLUX="batch_size: 20000, gzip: true": other influx settings
	for _, kv := range strings.Split(os.Getenv("ENTPIPE_BENCH_INFLUX"), ",") {
		if kv = strings.TrimSpace(kv); kv != "" {
			influxKeys += "\n  " + kv
		}
	}
	text := strings.Replace(string(raw), "bucket: "+s.Bucket, "bucket: "+db+"/autogen"+influxKeys, 1)
	text = strings.Replace(text, "data_dir: ", "data_dir: "+strconv.Quote(filepath.Join(b.TempDir(), "data"))+" # was ", 1)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"import", "-config", cfg, "-source", "ent92", "-progress", "never", "-log.level", "error"}, logs...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cpu0 := influxdCPU(b, s)
	start := time.Now()
	err = cmd.Run()
	r := importRun{wall: time.Since(start)}
	r.influxdCPU = influxdCPU(b, s) - cpu0
	m := summaryRe.FindStringSubmatch(out.String())
	if err != nil || m == nil || !strings.Contains(out.String(), "written to InfluxDB: "+s.DirectURL()+" ("+db+"/autogen)\n") {
		b.Fatalf("import: %v\n%s%s", err, &out, &errOut)
	}
	r.lines, _ = strconv.ParseInt(m[1], 10, 64)
	r.points, _ = strconv.ParseInt(m[2], 10, 64)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	r.rss = float64(ru.Maxrss) * 1024
	return r
}

func influxdCPU(b *testing.B, s *influxtest.Server) time.Duration {
	b.Helper()
	d, err := s.CPU()
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// peers are the other tools timed on the same logs: awk, whose counts of
// lines by profile (the last field) are the reference, and the others,
// each checked to have read every line.
type peers struct {
	awk    func(b *testing.B, lines int64) (time.Duration, map[string]int64)
	others []peer
}

type peer struct {
	name string
	run  func(b *testing.B, lines int64, byProfile map[string]int64) time.Duration
}

var countRe = regexp.MustCompile(`(?m)^(.*) (\d+)$`)

// importPeers returns awk, and GoAccess and mtail when installed.
//
//   - awk: zcat -f LOGS | awk '{n[$NF]++} END {for (p in n) print p, n[p]}'
//   - GoAccess: zcat -f LOGS | goaccess - --log-format='%h %^ %e [%d:%t %^]
//     "%r" %s %b "%R" "%u" %T "%^"' --date-format=%d/%b/%Y --time-format=%T
//     --no-global-config --no-progress -o report.json (GoAccess reads no
//     .gz).
//   - mtail: mtail --one_shot --one_shot_format prometheus --progs DIR
//     --logs FILE with one program counting lines by profile, FILE being
//     the logs unzipped with their control and non-ASCII bytes deleted
//     beforehand (LC_ALL=C tr -d '\000-\010\016-\037\177-\377', not
//     timed): mtail 3.0.0~rc50 stops reading at the first binary line,
//     and the simulator writes a few a day (a TLS handshake sent to the
//     HTTP port). mtail reads a file to its end only with --one_shot.
func importPeers(b *testing.B, logs []string) peers {
	b.Helper()
	ps := peers{awk: func(b *testing.B, lines int64) (time.Duration, map[string]int64) {
		out, d := timeShell(b, `zcat -f "$@" | awk '{n[$NF]++} END {for (p in n) print p, n[p]}'`, logs...)
		counts, sum := map[string]int64{}, int64(0)
		for _, m := range countRe.FindAllStringSubmatch(out, -1) {
			n, _ := strconv.ParseInt(m[2], 10, 64)
			counts[m[1]], sum = n, sum+n
		}
		if sum != lines {
			b.Fatalf("awk counted %d lines, want %d:\n%s", sum, lines, out)
		}
		return d, counts
	}}
	if os.Getenv("ENTPIPE_BENCH_PEERS") == "awk" {
		return ps
	}
	if _, err := exec.LookPath("goaccess"); err == nil {
		report := filepath.Join(b.TempDir(), "goaccess.json")
		ps.others = append(ps.others, peer{"goaccess", func(b *testing.B, lines int64, _ map[string]int64) time.Duration {
			_, d := timeShell(b, `out=$1; shift; zcat -f "$@" | goaccess - --log-format='%h %^ %e [%d:%t %^] "%r" %s %b "%R" "%u" %T "%^"' `+
				`--date-format=%d/%b/%Y --time-format=%T --no-global-config --no-progress -o "$out" >/dev/null 2>&1`, append([]string{report}, logs...)...)
			var r struct {
				General struct {
					Total int64 `json:"total_requests"`
				} `json:"general"`
			}
			raw, err := os.ReadFile(report)
			if err == nil {
				err = json.Unmarshal(raw, &r)
			}
			if err != nil || r.General.Total != lines {
				b.Fatalf("goaccess: %v; %d requests, want the %d lines", err, r.General.Total, lines)
			}
			return d
		}})
	} else {
		b.Log("goaccess not installed (Debian package goaccess): not measured")
	}
	if _, err := exec.LookPath("mtail"); err == nil {
		dir := b.TempDir()
		progs, clean := filepath.Join(dir, "progs"), filepath.Join(dir, "clean.log")
		prog := "counter lines_by_profile by profile\n/\"(?P<profile>[A-Z-]+)\"$/ {\n  lines_by_profile[$profile]++\n}\n"
		if err := os.Mkdir(progs, 0o700); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(progs, "profiles.mtail"), []byte(prog), 0o600); err != nil {
			b.Fatal(err)
		}
		timeShell(b, `out=$1; shift; zcat -f "$@" | LC_ALL=C tr -d '\000-\010\016-\037\177-\377' > "$out"`, append([]string{clean}, logs...)...)
		mtailRe, quoted := regexp.MustCompile(`(?m)^lines_by_profile\{profile="([A-Z-]+)",.*\} (\S+)$`), regexp.MustCompile(`^"[A-Z-]+"$`)
		ps.others = append(ps.others, peer{"mtail", func(b *testing.B, _ int64, byProfile map[string]int64) time.Duration {
			out, d := timeShell(b, `mtail --one_shot --one_shot_format prometheus --progs "$1" --logs "$2" 2>/dev/null`, progs, clean)
			got := map[string]int64{}
			for _, m := range mtailRe.FindAllStringSubmatch(out, -1) {
				n, _ := strconv.ParseFloat(m[2], 64) // 3.474635e+06 above a million
				got[`"`+m[1]+`"`] = int64(n)
			}
			for p, n := range byProfile {
				if quoted.MatchString(p) && got[p] != n {
					b.Fatalf("mtail counted %d lines of profile %s, awk %d:\n%s", got[p], p, n, out)
				}
			}
			return d
		}})
	} else {
		b.Log("mtail not installed (Debian package mtail): not measured")
	}
	return ps
}

// timeShell runs script with sh -c and args, and returns its output and
// wall time.
func timeShell(b *testing.B, script string, args ...string) (string, time.Duration) {
	b.Helper()
	cmd := exec.Command("sh", append([]string{"-c", script, "sh"}, args...)...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	start := time.Now()
	out, err := cmd.Output()
	d := time.Since(start)
	if err != nil {
		b.Fatalf("sh -c %q: %v\n%s", script, err, &errOut)
	}
	return string(out), d
}

// median returns the median of f over xs.
func median[T any](xs []T, f func(T) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// BenchmarkInfluxdIngest measures influxd alone: the ceiling of an import
// whose points InfluxDB must ingest. It records the line protocol `entpipe
// import` sends for the small-ENT month (an HTTP recorder as InfluxDB),
// then posts it again to influxd, direct, into a new database each op, cut
// in batches of a size and with a number of writes in flight, as fast as
// influxd answers. It reports points/s and influxd's CPU per point; the
// best figure bounds any client's import on this machine:
//
//	go test -run '^$' -bench BenchmarkInfluxdIngest -benchtime 3x ./cmd/entpipe/
func BenchmarkInfluxdIngest(b *testing.B) {
	s := influxtest.Start(b)
	bin := entpipeBinary(b)
	sh := shapeNamed(b, "small-ent-month")
	config, logs := shapeLogs(b, s, sh)
	lines := recordLineProtocol(b, bin, config, logs)
	for _, size := range []int{5000, 20000} {
		for _, inFlight := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("%s/batch=%d/in-flight=%d", sh.name, size, inFlight), func(b *testing.B) {
				var bodies [][]byte
				for i := 0; i < len(lines); i += size {
					bodies = append(bodies, bytes.Join(lines[i:min(i+size, len(lines))], []byte{'\n'}))
				}
				var cpu time.Duration
				for i := 0; b.Loop(); i++ {
					b.StopTimer()
					db := fmt.Sprintf("ingest_%d_%d_%d", size, inFlight, i)
					s.MustQuery("CREATE DATABASE " + db)
					cpu0 := influxdCPU(b, s)
					b.StartTimer()
					postAll(b, s.DirectURL()+"/write?db="+db, bodies, inFlight)
					b.StopTimer()
					cpu += influxdCPU(b, s) - cpu0
					s.MustQuery("DROP DATABASE " + db)
					b.StartTimer()
				}
				points := float64(len(lines)) * float64(b.N)
				b.ReportMetric(points/b.Elapsed().Seconds(), "points/s")
				b.ReportMetric(float64(cpu.Microseconds())/points, "influxd-cpu-µs/point")
				b.ReportMetric(float64(len(lines)), "points/op")
			})
		}
	}
}

// recordLineProtocol runs `entpipe import` of logs against an HTTP
// recorder standing for InfluxDB and returns the lines it sent, in order.
func recordLineProtocol(b *testing.B, bin, config string, logs []string) [][]byte {
	b.Helper()
	var mu sync.Mutex
	var lines [][]byte
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Header.Get("Content-Encoding") != "" {
			http.Error(w, "unreadable", http.StatusBadRequest)
			return
		}
		mu.Lock()
		lines = append(lines, bytes.Split(body, []byte{'\n'})...)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rec.Close()
	raw, err := os.ReadFile(config)
	if err != nil {
		b.Fatal(err)
	}
	cfg := filepath.Join(b.TempDir(), "entpipe.yaml")
	text := regexp.MustCompile(`(?m)^  url: .*$`).ReplaceAllString(string(raw), "  url: "+rec.URL)
	text = strings.Replace(text, "data_dir: ", "data_dir: "+strconv.Quote(filepath.Join(b.TempDir(), "data"))+" # was ", 1)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command(bin, append([]string{"import", "-config", cfg, "-source", "ent92", "-progress", "never"}, logs...)...).CombinedOutput(); err != nil {
		b.Fatalf("import into the recorder: %v\n%s", err, out)
	}
	return lines
}

// postAll writes every body to url, inFlight at a time, and fails on any
// answer but 204.
func postAll(b *testing.B, url string, bodies [][]byte, inFlight int) {
	b.Helper()
	next := make(chan []byte)
	errs := make(chan error, inFlight)
	var wg sync.WaitGroup
	for range inFlight {
		wg.Go(func() {
			for body := range next {
				resp, err := http.Post(url, "text/plain", bytes.NewReader(body))
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusNoContent {
						err = fmt.Errorf("status %s", resp.Status)
					}
				}
				if err != nil {
					errs <- err
					for range next {
					}
					return
				}
			}
		})
	}
	for _, body := range bodies {
		next <- body
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}
