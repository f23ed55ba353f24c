package dashboards

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite deploy/grafana/dashboards from a fresh export")

const goldenDir = "../deploy/grafana/dashboards"

// TestGolden checks that the committed boards, which Grafana provisions from
// files, are exactly a fresh export. -update rewrites them.
func TestGolden(t *testing.T) {
	if *update {
		if _, err := Export(goldenDir); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{}
	for _, b := range boards(t) {
		want[FileName(*b.Uid)] = true
		got, err := Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		golden, err := os.ReadFile(filepath.Join(goldenDir, FileName(*b.Uid)))
		if err != nil {
			t.Fatalf("%v (run go test ./dashboards -update)", err)
		}
		if !bytes.Equal(got, golden) {
			t.Errorf("%s is stale: run `go test ./dashboards -update` (or entpipe dashboards export -out %s)", FileName(*b.Uid), goldenDir)
		}
	}
	files, _ := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	for _, f := range files {
		if !want[filepath.Base(f)] {
			t.Errorf("%s is no board of All(): remove it", f)
		}
	}
}

// TestMarshalDeterministic exports twice and compares: no map order, counter
// or clock leaks into the JSON.
func TestMarshalDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	pa, err := Export(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Export(b); err != nil {
		t.Fatal(err)
	}
	if len(pa) != 7 {
		t.Fatalf("exported %d boards, want 7", len(pa))
	}
	for _, p := range pa {
		x, _ := os.ReadFile(p)
		y, _ := os.ReadFile(filepath.Join(b, filepath.Base(p)))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two exports", filepath.Base(p))
		}
	}
}

// BenchmarkMarshalAll builds and renders the seven boards, what
// `entpipe dashboards export` and each provisioning run do.
func BenchmarkMarshalAll(b *testing.B) {
	for b.Loop() {
		all, err := All()
		if err != nil {
			b.Fatal(err)
		}
		for _, board := range all {
			if _, err := Marshal(board); err != nil {
				b.Fatal(err)
			}
		}
	}
}
