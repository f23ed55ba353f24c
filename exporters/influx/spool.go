package influx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// The spool keeps batches InfluxDB has not accepted yet, in order, in
// segment files <dir>/<20-digit id>.spool. A segment is a sequence of
// records:
//
//	magic uint32 | crc32c uint32 | length uint32 | appended unix nanos int64 | payload
//
// where the CRC covers the length, the time and the payload (line
// protocol). A record is fsynced before append returns, so an acknowledged
// batch survives a crash. Damage (a flipped bit, a zeroed block) costs only
// the records it touches: the reader resynchronises on the next magic whose
// record checks, and counts what it skipped as corrupt. A torn trailing
// record (kill during an append: the header or the payload cut short, never
// acknowledged) ends the segment without counting as damage. A process
// never appends to a segment it did not create. A segment file is deleted
// when all its records are acknowledged.
//
// Segments written before the magic existed (length | crc32c | time |
// payload, the CRC over time and payload) are still read: no valid record
// of the current format starts them, a valid old one does.
const (
	recordMagic  = 0x5053feff // bytes ff fe 53 50: ff and fe never occur in UTF-8 line protocol
	recordHeader = 20
	legacyHeader = 16
	segmentExt   = ".spool"
	maxSegment   = 16 << 20
)

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	magicBytes = binary.LittleEndian.AppendUint32(nil, recordMagic)
)

type segment struct {
	id      uint64
	path    string
	f       *os.File
	pending int   // records not yet acknowledged
	size    int64 // bytes of the file, damaged and acknowledged records included
	legacy  bool  // records without magic (written before it existed)
}

type record struct {
	seg  *segment
	off  int64 // of the header
	n    int   // payload bytes
	at   time.Time
	size int64 // header + payload
}

// spool is safe for concurrent use: the sink appends from its writer
// goroutines while the replayer reads and acknowledges the head.
type spool struct {
	dir    string
	lock   *os.File // flock held while open: one process per spool
	max    int64    // bound on pending bytes
	segMax int64
	log    *slog.Logger

	corrupt *collector.Counter // damaged records dropped

	mu       sync.Mutex
	records  []record // pending, oldest first
	bytes    int64    // pending bytes, headers included
	disk     int64    // bytes of the segment files: what the bound limits
	w        *segment // segment appended to; nil until the first append
	nextID   uint64
	freed    chan struct{} // closed and replaced when a segment file is removed (disk decreases)
	appended chan struct{} // closed and replaced on append
}

// openSpool indexes the segments left in dir by a previous run, dropping
// torn trailing records and damaged ones (counted in corrupt), and prepares
// to append to a new segment.
func openSpool(dir string, max int64, log *slog.Logger, corrupt *collector.Counter) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s := &spool{dir: dir, lock: lock, max: max, segMax: min(max/8, maxSegment), log: log, corrupt: corrupt,
		freed: make(chan struct{}), appended: make(chan struct{})}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	var ids []uint64
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), segmentExt)
		if id, err := strconv.ParseUint(name, 10, 64); ok && err == nil && !e.IsDir() {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := s.index(id); err != nil {
			s.close()
			return nil, err
		}
		s.nextID = id + 1
	}
	return s, nil
}

// index reads segment id, appending its valid records to s.records. A
// damaged stretch is skipped up to the next record that checks, logged at
// error level and counted; a torn tail is only logged.
func (s *spool) index(id uint64) error {
	seg := &segment{id: id, path: s.segPath(id)}
	f, err := os.Open(seg.path)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("spool: read %s: %w", seg.path, err)
	}
	seg.size = int64(len(data))
	if _, _, ok := parseRecord(data, false); !ok {
		_, _, seg.legacy = parseRecord(data, true)
	}
	var off, damagedBytes, tail int64
	corrupt := 0
	for off < int64(len(data)) {
		if n, at, ok := parseRecord(data[off:], seg.legacy); ok {
			size := int64(seg.header() + n)
			s.records = append(s.records, record{seg: seg, off: off, n: n, at: at, size: size})
			s.bytes += size
			seg.pending++
			off += size
			continue
		}
		next := resync(data, off, seg.legacy)
		if next == int64(len(data)) && (seg.legacy || torn(data[off:])) {
			tail = next - off
			break
		}
		corrupt += max(1, bytes.Count(data[off:next], magicBytes))
		damagedBytes += next - off
		off = next
	}
	if corrupt > 0 {
		s.corrupt.Add(float64(corrupt))
		s.log.Error("spool segment damaged: dropping its corrupt records, keeping the others", "segment", seg.path,
			"corrupt_records", corrupt, "dropped_bytes", damagedBytes, "kept_records", seg.pending)
	}
	if tail > 0 {
		s.log.Warn("spool segment ends with a torn record (killed during an append, never acknowledged), ignoring it",
			"segment", seg.path, "ignored_bytes", tail)
	}
	if seg.pending == 0 {
		f.Close()
		return removeFile(seg.path)
	}
	seg.f = f
	s.disk += seg.size
	return nil
}

// resync returns the offset of the first valid record after the damaged
// one at off, or len(data). Old-format segments have no magic to find.
func resync(data []byte, off int64, legacy bool) int64 {
	for from := off + 1; !legacy; {
		i := bytes.Index(data[from:], magicBytes)
		if i < 0 {
			break
		}
		if _, _, ok := parseRecord(data[from+int64(i):], false); ok {
			return from + int64(i)
		}
		from += int64(i) + 1
	}
	return int64(len(data))
}

// torn reports whether a tail holds no complete record: a header cut short,
// or a header announcing more bytes than remain. That is what a kill during
// an append leaves; a complete record that fails its check is damage.
func torn(tail []byte) bool {
	if len(tail) < recordHeader {
		return true
	}
	return binary.LittleEndian.Uint32(tail[0:4]) == recordMagic &&
		int64(binary.LittleEndian.Uint32(tail[8:12])) > int64(len(tail)-recordHeader)
}

// parseRecord checks the record at the start of data, in the current
// format or, when legacy, the format without magic.
func parseRecord(data []byte, legacy bool) (n int, at time.Time, ok bool) {
	hdr, lenAt, timeAt := recordHeader, 8, 12
	if legacy {
		hdr, lenAt, timeAt = legacyHeader, 0, 8
	}
	if len(data) < hdr || !legacy && binary.LittleEndian.Uint32(data[0:4]) != recordMagic {
		return 0, time.Time{}, false
	}
	n64 := int64(binary.LittleEndian.Uint32(data[lenAt : lenAt+4]))
	if n64 > int64(len(data)-hdr) {
		return 0, time.Time{}, false
	}
	n = int(n64)
	checked := data[8 : hdr+n] // legacy: time and payload; current: length too
	if crc32.Checksum(checked, castagnoli) != binary.LittleEndian.Uint32(data[4:8]) {
		return 0, time.Time{}, false
	}
	return n, time.Unix(0, int64(binary.LittleEndian.Uint64(data[timeAt:timeAt+8]))), true
}

func (g *segment) header() int {
	if g.legacy {
		return legacyHeader
	}
	return recordHeader
}

func (s *spool) segPath(id uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%020d%s", id, segmentExt))
}

// append writes payload as a record and fsyncs it, unless its bound
// forbids it: then it appends nothing and returns a channel closed when a
// drained segment file is removed (only that shrinks the files), to wait
// on before trying again. The spool is full when it is not empty and its
// files would exceed the bound (acknowledged records of a segment not yet
// drained whole count: they are on disk). A batch larger than the bound is
// accepted into an empty spool (no file left then), so a full spool always
// drains and the files never exceed the bound by more than one batch. The
// check and the write are one step under the lock: concurrent writers
// cannot both pass the check and overshoot. On error the segment is
// abandoned (a partial record may end it), so later records go to a new
// one.
func (s *spool) append(payload []byte, now time.Time) (full <-chan struct{}, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	size := int64(recordHeader + len(payload))
	if len(s.records) > 0 && s.disk+size > s.max {
		return s.freed, nil
	}
	if s.w == nil || (s.w.size > 0 && s.w.size+size > s.segMax) {
		if err := s.rotate(); err != nil {
			return nil, err
		}
	}
	buf := make([]byte, recordHeader, size)
	binary.LittleEndian.PutUint32(buf[0:4], recordMagic)
	binary.LittleEndian.PutUint32(buf[8:12], uint32(len(payload)))
	binary.LittleEndian.PutUint64(buf[12:20], uint64(now.UnixNano()))
	buf = append(buf, payload...)
	binary.LittleEndian.PutUint32(buf[4:8], crc32.Checksum(buf[8:], castagnoli))
	off := s.w.size
	written, err := s.w.f.Write(buf)
	s.w.size += int64(written)
	s.disk += int64(written)
	if err != nil {
		path := s.w.path
		s.abandon()
		return nil, fmt.Errorf("spool: write %s: %w", path, err)
	}
	if err := s.w.f.Sync(); err != nil {
		path := s.w.path
		s.abandon()
		return nil, fmt.Errorf("spool: fsync %s: %w", path, err)
	}
	s.records = append(s.records, record{seg: s.w, off: off, n: len(payload), at: now, size: size})
	s.w.pending++
	s.bytes += size
	close(s.appended)
	s.appended = make(chan struct{})
	return nil, nil
}

// rotate starts a new segment, fsyncing the directory so its name is
// durable too. The previous one stays open for reading until drained.
func (s *spool) rotate() error {
	seg := &segment{id: s.nextID, path: s.segPath(s.nextID)}
	f, err := os.OpenFile(seg.path, os.O_CREATE|os.O_EXCL|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := syncDir(s.dir); err != nil {
		f.Close()
		return err
	}
	s.nextID++
	seg.f = f
	s.w = seg
	return nil
}

func (s *spool) abandon() {
	if s.w.pending == 0 {
		s.w.f.Close()
		_ = os.Remove(s.w.path) // nothing acknowledged lives there
		s.disk -= s.w.size
	}
	s.w = nil
}

// head returns the payload of the oldest pending record, or ok=false and a
// channel closed at the next append when the spool is empty. A record that
// fails its check on re-read (damaged on disk since it was indexed) is
// returned as an error.
func (s *spool) head() (payload []byte, ok bool, appended <-chan struct{}, err error) {
	s.mu.Lock()
	if len(s.records) == 0 {
		defer s.mu.Unlock()
		return nil, false, s.appended, nil
	}
	r := s.records[0]
	s.mu.Unlock()
	buf := make([]byte, r.size)
	if _, err := r.seg.f.ReadAt(buf, r.off); err != nil {
		return nil, true, nil, fmt.Errorf("spool: read %s at %d: %w", r.seg.path, r.off, err)
	}
	if n, _, valid := parseRecord(buf, r.seg.legacy); !valid || n != r.n {
		return nil, true, nil, fmt.Errorf("spool: record at %s:%d is corrupt", r.seg.path, r.off)
	}
	return buf[r.seg.header():], true, nil, nil
}

// ack removes the oldest record, deleting its segment when it was the last
// pending one there. Only then do the files shrink, so only then are the
// writers waiting for room woken. None waits forever: a writer waits only
// while records are pending, and the last pending record of each segment,
// the spool's last one included, removes its segment here.
func (s *spool) ack() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.records[0]
	s.records = s.records[1:]
	s.bytes -= r.size
	r.seg.pending--
	if r.seg.pending > 0 {
		return nil
	}
	if r.seg == s.w {
		s.w = nil
	}
	r.seg.f.Close()
	s.disk -= r.seg.size
	close(s.freed)
	s.freed = make(chan struct{})
	if err := removeFile(r.seg.path); err != nil {
		return err
	}
	// Durable removal: after a power loss the replayed batches must not
	// come back behind newer direct writes.
	return syncDir(s.dir)
}

// state returns the pending bytes, records and the append time of the oldest.
func (s *spool) state() (bytes int64, records int, oldest time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.records) > 0 {
		oldest = s.records[0].at
	}
	return s.bytes, len(s.records), oldest
}

// files returns the bytes of the segment files: what the bound limits.
func (s *spool) files() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.disk
}

// close releases the file handles; pending records stay on disk.
func (s *spool) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[*segment]bool{}
	for _, r := range s.records {
		if !seen[r.seg] {
			seen[r.seg] = true
			r.seg.f.Close()
		}
	}
	if s.w != nil && !seen[s.w] {
		s.w.f.Close()
		_ = os.Remove(s.w.path) // empty: every record was acknowledged
	}
	s.records, s.w = nil, nil
	if s.lock != nil {
		s.lock.Close() // releases the flock
		s.lock = nil
	}
}

// lockDir takes an exclusive, non-blocking flock on dir/LOCK. Two processes
// appending to and replaying one spool would interleave segments and
// replay each other's batches (e.g. `entpipe run` and `entpipe import`
// with the same data_dir), so the second one is refused. The kernel
// releases the lock when the process dies, so a kill -9 leaves no stale
// lock behind.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("spool %s is in use by another entpipe process: give each process its own data_dir", dir)
		}
		return nil, fmt.Errorf("spool: lock %s: %w", dir, err)
	}
	return f, nil
}

func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("spool: fsync %s: %w", dir, err)
	}
	return nil
}
