package influx

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
)

var spoolEpoch = time.Date(2020, 3, 16, 8, 0, 0, 0, time.UTC)

// testRecord is record i of the tests: line protocol with accents (UTF-8,
// as in French tag values) padded to about 1 KB.
func testRecord(i int) string {
	return fmt.Sprintf("ent_service,service=cahier\\ de\\ textes,élève=%d n=%di %d", i, i, i) + strings.Repeat("x", 1000)
}

// testSpool opens dir with the smallest bound (segments of 8 KiB, so seven
// records each) and a log and counter to inspect.
func testSpool(t *testing.T, dir string) (*spool, *collector.Counter, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	corrupt := collector.NewStats().Counter(collector.MetricSpoolCorrupt)
	sp, err := openSpool(dir, MinSpoolSize, slog.New(slog.NewTextHandler(&log, nil)), corrupt)
	if err != nil {
		t.Fatal(err)
	}
	return sp, corrupt, &log
}

// fillSpool appends records 0..n-1 and closes the spool.
func fillSpool(t *testing.T, dir string, n int) {
	t.Helper()
	sp, _, _ := testSpool(t, dir)
	for i := range n {
		if _, err := sp.append([]byte(testRecord(i)), spoolEpoch.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	sp.close()
}

// drainSpool reads and acknowledges every record, returning their indexes
// in testRecord; a record that fails its re-read check is -1.
func drainSpool(t *testing.T, sp *spool) []int {
	t.Helper()
	var got []int
	for {
		payload, ok, _, err := sp.head()
		if !ok {
			return got
		}
		i := -1
		if err == nil {
			if _, err := fmt.Sscanf(string(payload), "ent_service,service=cahier\\ de\\ textes,élève=%d", &i); err != nil || string(payload) != testRecord(i) {
				t.Fatalf("payload %.60q… is not a test record", payload)
			}
		}
		got = append(got, i)
		if err := sp.ack(); err != nil {
			t.Fatal(err)
		}
	}
}

func segments(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// SpoolFileBytes sums the sizes of the segment files in dir, what the
// spool's bound limits (exported for the sink's tests).
func SpoolFileBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	for _, f := range segments(t, dir) {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

// TestSpoolOrderAcrossSegmentsAndReopen appends records over several
// segments, reopens the directory as a new process would, and drains it:
// same records, same order, every file removed once drained.
func TestSpoolOrderAcrossSegmentsAndReopen(t *testing.T) {
	dir := t.TempDir()
	fillSpool(t, dir, 40)
	if files := segments(t, dir); len(files) < 4 {
		t.Fatalf("%d segment files, want several", len(files))
	}
	sp, corrupt, _ := testSpool(t, dir)
	defer sp.close()
	if _, n, oldest := sp.state(); n != 40 || !oldest.Equal(spoolEpoch) {
		t.Fatalf("reopened: %d records, oldest %v; want 40, %v", n, oldest, spoolEpoch)
	}
	got := drainSpool(t, sp)
	if fmt.Sprint(got) != fmt.Sprint(seq(0, 40)) {
		t.Fatalf("drained %v", got)
	}
	if left := segments(t, dir); len(left) != 0 {
		t.Errorf("segments left after draining: %v", left)
	}
	if corrupt.Value() != 0 {
		t.Errorf("corrupt = %v on an intact spool", corrupt.Value())
	}
}

// seq is from..to-1 without except.
func seq(from, to int, except ...int) []int {
	var out []int
	for i := from; i < to; i++ {
		if !slices.Contains(except, i) {
			out = append(out, i)
		}
	}
	return out
}

// TestSpoolDamage damages real spool files the ways disks and crashes do
// — single flipped bits in every part of a record, a zeroed block across
// two records, truncations — and reopens them: only the damaged records
// are dropped, logged at error level with the segment and counted; a torn
// tail is only a warning.
func TestSpoolDamage(t *testing.T) {
	const n = 14 // two segments of 7 records
	recSize := recordHeader + len(testRecord(0))
	// rec returns the offset of the k-th record of a segment.
	rec := func(k int) int { return k * recSize }
	for _, c := range []struct {
		name    string
		damage  func(seg []byte) []byte // of the first segment
		want    []int
		corrupt float64
		torn    bool
	}{
		{"bit in a payload", flip(rec(3) + recordHeader + 500), seq(0, n, 3), 1, false},
		{"bit in a magic", flip(rec(3) + 1), seq(0, n, 3), 1, false},
		{"bit in a CRC", flip(rec(3) + 5), seq(0, n, 3), 1, false},
		{"bit in a length, shorter", flip(rec(3) + 8), seq(0, n, 3), 1, false},
		{"bit in a length, beyond the file", flip(rec(3) + 10), seq(0, n, 3), 1, false},
		{"bit in a time", flip(rec(3) + 15), seq(0, n, 3), 1, false},
		{"bit in the first record", flip(recordHeader), seq(1, n), 1, false},
		{"bit in the last record of the segment", flip(rec(6) + recordHeader + 9), seq(0, n, 6), 1, false},
		{"zeroed block across two records", zero(rec(2)+300, rec(3)+300), seq(0, n, 2, 3), 1, false},
		{"cut in a payload", cut(rec(5) + 400), seq(0, n, 5, 6), 0, true},
		{"cut in a header", cut(rec(5) + 7), seq(0, n, 5, 6), 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			fillSpool(t, dir, n)
			files := segments(t, dir)
			if len(files) != 2 {
				t.Fatalf("%d segments, want 2", len(files))
			}
			data, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(files[0], c.damage(data), 0o600); err != nil {
				t.Fatal(err)
			}
			sp, corrupt, log := testSpool(t, dir)
			defer sp.close()
			if got := drainSpool(t, sp); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("records %v, want %v", got, c.want)
			}
			if corrupt.Value() != c.corrupt {
				t.Errorf("corrupt records counted: %v, want %v", corrupt.Value(), c.corrupt)
			}
			errLine := fmt.Sprintf(`level=ERROR msg="spool segment damaged: dropping its corrupt records, keeping the others" segment=%s corrupt_records=%v`, files[0], c.corrupt)
			if c.corrupt > 0 != strings.Contains(log.String(), errLine) {
				t.Errorf("error log (want %v): %s", c.corrupt > 0, log)
			}
			if c.torn != strings.Contains(log.String(), "level=WARN msg=\"spool segment ends with a torn record") {
				t.Errorf("torn record warning (want %v): %s", c.torn, log)
			}
		})
	}
}

func flip(off int) func([]byte) []byte {
	return func(b []byte) []byte { b[off] ^= 0x10; return b }
}

func zero(from, to int) func([]byte) []byte {
	return func(b []byte) []byte { clear(b[from:to]); return b }
}

func cut(at int) func([]byte) []byte {
	return func(b []byte) []byte { return b[:at] }
}

// TestSpoolDamagedAfterOpen: a record damaged on disk after the spool was
// indexed fails its check when it is read for replay; the next ones do not.
func TestSpoolDamagedAfterOpen(t *testing.T) {
	dir := t.TempDir()
	fillSpool(t, dir, 3)
	sp, _, _ := testSpool(t, dir)
	defer sp.close()
	f, err := os.OpenFile(segments(t, dir)[0], os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{'#'}, int64(recordHeader+len(testRecord(0))+recordHeader+40)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := drainSpool(t, sp); fmt.Sprint(got) != "[0 -1 2]" {
		t.Errorf("records %v, want [0 -1 2] (-1: the damaged one, reported as an error)", got)
	}
}

// TestSpoolLegacySegment: a segment written before records had a magic (an
// upgrade during an outage) is still replayed, torn tail included.
func TestSpoolLegacySegment(t *testing.T) {
	dir := t.TempDir()
	var seg []byte
	for i := range 3 {
		payload := []byte(testRecord(i))
		rec := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))
		rec = binary.LittleEndian.AppendUint32(rec, 0) // CRC, below
		rec = binary.LittleEndian.AppendUint64(rec, uint64(spoolEpoch.UnixNano()))
		rec = append(rec, payload...)
		binary.LittleEndian.PutUint32(rec[4:8], crc32.Checksum(rec[8:], castagnoli))
		seg = append(seg, rec...)
	}
	seg = append(seg, 200, 0, 0, 0, 1, 2, 3) // torn
	if err := os.WriteFile(filepath.Join(dir, "00000000000000000007"+segmentExt), seg, 0o600); err != nil {
		t.Fatal(err)
	}
	sp, corrupt, log := testSpool(t, dir)
	if _, err := sp.append([]byte(testRecord(3)), spoolEpoch); err != nil { // after the old ones
		t.Fatal(err)
	}
	got := drainSpool(t, sp)
	sp.close()
	if fmt.Sprint(got) != "[0 1 2 3]" || corrupt.Value() != 0 || !strings.Contains(log.String(), "torn record") {
		t.Errorf("records %v, corrupt %v, want [0 1 2 3], 0 and a torn record warning; log:\n%s", got, corrupt.Value(), log)
	}
}

// TestSpoolBound: the segment files never exceed the bound while the spool
// holds records, the drained part of a segment not yet deleted included;
// one batch larger than the bound is accepted into an empty spool.
func TestSpoolBound(t *testing.T) {
	dir := t.TempDir()
	sp, _, _ := testSpool(t, dir)
	defer sp.close()
	payload := []byte(testRecord(0))
	appended := 0
	for ; ; appended++ {
		full, err := sp.append(payload, spoolEpoch)
		if err != nil {
			t.Fatal(err)
		}
		if full != nil {
			break
		}
		if d := SpoolFileBytes(t, dir); d > MinSpoolSize {
			t.Fatalf("after %d records: %d bytes on disk, bound %d", appended+1, d, MinSpoolSize)
		}
	}
	if appended < 50 {
		t.Fatalf("full after %d records of %d bytes, bound %d", appended, len(payload), MinSpoolSize)
	}
	// Acknowledging one record frees no file: still full.
	if _, _, _, err := sp.head(); err != nil {
		t.Fatal(err)
	}
	if err := sp.ack(); err != nil {
		t.Fatal(err)
	}
	if full, err := sp.append(payload, spoolEpoch); err != nil || full == nil {
		t.Errorf("room announced with %d bytes on disk, bound %d (err %v)", SpoolFileBytes(t, dir), MinSpoolSize, err)
	}
	for {
		if _, ok, _, _ := sp.head(); !ok {
			break
		}
		if err := sp.ack(); err != nil {
			t.Fatal(err)
		}
	}
	huge := bytes.Repeat([]byte("m n=1i\n"), 2*MinSpoolSize/7)
	if full, err := sp.append(huge, spoolEpoch); err != nil || full != nil {
		t.Fatalf("an empty spool refuses a batch larger than its bound (err %v): a full spool could never drain", err)
	}
}
