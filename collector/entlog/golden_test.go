package entlog

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/collector/collectortest"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the want.lp goldens of testdata/<case>/")

var testSalt = []byte("entlog test salt")

// loadCase reads testdata/<case>/config.yaml strictly, applies defaults and
// validates it, as cmd/entpipe does.
func loadCase(t testing.TB, dir string) Config {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	if len(cfg.Paths) == 0 {
		cfg.Paths = []string{"unused"}
	}
	cfg.ApplyDefaults()
	p := collector.NewProblems()
	cfg.Validate(p)
	if err := p.Err(); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return cfg
}

func newTestSource(t testing.TB, cfg Config, opts Options) *Source {
	t.Helper()
	if opts.Salt == nil {
		opts.Salt = testSalt
	}
	s, err := New("test", cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func importLP(t testing.TB, s *Source, paths ...string) (string, Summary) {
	t.Helper()
	var rec collectortest.Recorder
	sum, err := s.Import(context.Background(), &rec, paths, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Flushes() == 0 {
		t.Error("Import did not flush the sink")
	}
	return collectortest.LineProtocol(rec.Points()), sum
}

// TestGolden imports every testdata/<case>/input.log with its config.yaml,
// plain and gzipped, and compares the points with want.lp (-update
// rewrites it) and, when present, the line results with results.txt.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/config.yaml")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, c := range dirs {
		dir := filepath.Dir(c)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfg := loadCase(t, dir)
			input := filepath.Join(dir, "input.log")
			got, sum := importLP(t, newTestSource(t, cfg, Options{}), input)
			collectortest.Golden(t, filepath.Join(dir, "want.lp"), got, *update)
			collectortest.Golden(t, filepath.Join(dir, "results.txt"), resultsText(sum), *update)
			gz := filepath.Join(t.TempDir(), "input.log.gz")
			writeGzip(t, gz, input)
			if gotGz, _ := importLP(t, newTestSource(t, cfg, Options{}), gz); gotGz != got {
				t.Errorf("gzipped input gives other points:\n%s", gotGz)
			}
		})
	}
}

func resultsText(s Summary) string {
	var b bytes.Buffer
	for _, r := range append([]string{collector.ResultParsed, collector.ResultTooLate, collector.ResultFuture}, ParseReasons()...) {
		if n := s.Results[r]; n > 0 {
			b.WriteString(r + " " + itoa(n) + "\n")
		}
	}
	return b.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func writeGzip(t testing.TB, dst, src string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(dst, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
