package influx

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// TestSpoolOrderAcrossSegmentsAndReopen appends records over several
// segments, reopens the directory as a new process would, and drains it:
// same records, same order, every file removed once drained.
func TestSpoolOrderAcrossSegmentsAndReopen(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	sp, err := openSpool(dir, MinSpoolSize, log) // segments of 8 KiB
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2020, 3, 16, 8, 0, 0, 0, time.UTC)
	var want []string
	for i := range 40 {
		rec := fmt.Sprintf("m n=%di %d", i, i) + string(make([]byte, 1000))
		if full, _ := sp.full(len(rec)); full {
			t.Fatalf("full after %d records", i)
		}
		if err := sp.append([]byte(rec), at.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
		want = append(want, rec)
	}
	if full, _ := sp.full(MinSpoolSize); !full {
		t.Error("a record beyond the bound is accepted into a non-empty spool")
	}
	sp.close()
	files, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	if len(files) < 4 {
		t.Fatalf("%d segment files, want several", len(files))
	}

	sp, err = openSpool(dir, MinSpoolSize, log)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	if _, n, oldest := sp.state(); n != len(want) || !oldest.Equal(at) {
		t.Fatalf("reopened: %d records, oldest %v; want %d, %v", n, oldest, len(want), at)
	}
	for i, w := range want {
		got, ok, _, err := sp.head()
		if err != nil || !ok || string(got) != w {
			t.Fatalf("record %d: %q, %v, %v", i, got, ok, err)
		}
		if err := sp.ack(); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, _, _ := sp.head(); ok {
		t.Fatal("records left after draining")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt)); len(left) != 0 {
		t.Errorf("segments left after draining: %v", left)
	}
}
