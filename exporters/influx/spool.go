package influx

import (
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
)

// The spool keeps batches InfluxDB has not accepted yet, in order, in
// segment files <dir>/<20-digit id>.spool. A segment is a sequence of
// records:
//
//	length uint32 | crc32c uint32 | appended unix nanos int64 | payload
//
// where the CRC covers the time and the payload (line protocol). A record
// is fsynced before append returns, so an acknowledged batch survives a
// crash; a torn trailing record (kill during a write) fails its length or
// CRC check and ends the segment on the next open. A process never appends
// to a segment it did not create, so a torn record is always the last one.
// A segment file is deleted when all its records are acknowledged.
const (
	recordHeader = 16
	segmentExt   = ".spool"
	maxSegment   = 16 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type segment struct {
	id      uint64
	path    string
	f       *os.File
	pending int // records not yet acknowledged
}

type record struct {
	seg  *segment
	off  int64 // of the header
	n    int   // payload bytes
	at   time.Time
	size int64 // header + payload
}

// spool is safe for concurrent use: the sink appends from its intake
// goroutine while the replayer reads and acknowledges the head.
type spool struct {
	dir    string
	lock   *os.File // flock held while open: one process per spool
	max    int64    // bound on pending bytes
	segMax int64
	log    *slog.Logger

	mu       sync.Mutex
	records  []record // pending, oldest first
	bytes    int64    // pending bytes, headers included
	w        *segment // segment appended to; nil until the first append
	wsize    int64
	nextID   uint64
	freed    chan struct{} // closed and replaced when bytes decrease
	appended chan struct{} // closed and replaced on append
}

// openSpool indexes the segments left in dir by a previous run, dropping
// torn trailing records, and prepares to append to a new segment.
func openSpool(dir string, max int64, log *slog.Logger) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s := &spool{dir: dir, lock: lock, max: max, segMax: min(max/8, maxSegment), log: log,
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

// index reads segment id, appending its valid records to s.records.
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
	var off int64
	for {
		n, at, ok := parseRecord(data[off:])
		if !ok {
			break
		}
		size := int64(recordHeader + n)
		s.records = append(s.records, record{seg: seg, off: off, n: n, at: at, size: size})
		s.bytes += size
		seg.pending++
		off += size
	}
	if off != int64(len(data)) {
		s.log.Warn("spool segment ends with a torn record, ignoring its tail", "segment", seg.path, "valid_bytes", off, "ignored_bytes", int64(len(data))-off)
	}
	if seg.pending == 0 {
		f.Close()
		return removeFile(seg.path)
	}
	seg.f = f
	return nil
}

// parseRecord checks the record at the start of data.
func parseRecord(data []byte) (n int, at time.Time, ok bool) {
	if len(data) < recordHeader {
		return 0, time.Time{}, false
	}
	n = int(binary.LittleEndian.Uint32(data[0:4]))
	if n > len(data)-recordHeader {
		return 0, time.Time{}, false
	}
	if crc32.Checksum(data[8:recordHeader+n], castagnoli) != binary.LittleEndian.Uint32(data[4:8]) {
		return 0, time.Time{}, false
	}
	return n, time.Unix(0, int64(binary.LittleEndian.Uint64(data[8:16]))), true
}

func (s *spool) segPath(id uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%020d%s", id, segmentExt))
}

// full reports whether appending n payload bytes must wait: the spool is
// not empty and would exceed its bound. A batch larger than the bound is
// accepted into an empty spool, so a full spool always drains.
func (s *spool) full(n int) (full bool, freed <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records) > 0 && s.bytes+int64(recordHeader+n) > s.max, s.freed
}

// append writes payload as a record and fsyncs it. On error the segment is
// abandoned (a partial record may end it), so later records go to a new one.
func (s *spool) append(payload []byte, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	size := int64(recordHeader + len(payload))
	if s.w == nil || (s.wsize > 0 && s.wsize+size > s.segMax) {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	buf := make([]byte, recordHeader, size)
	binary.LittleEndian.PutUint32(buf[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint64(buf[8:16], uint64(now.UnixNano()))
	buf = append(buf, payload...)
	binary.LittleEndian.PutUint32(buf[4:8], crc32.Checksum(buf[8:], castagnoli))
	if _, err := s.w.f.Write(buf); err != nil {
		s.abandon()
		return fmt.Errorf("spool: write %s: %w", s.w.path, err)
	}
	if err := s.w.f.Sync(); err != nil {
		s.abandon()
		return fmt.Errorf("spool: fsync %s: %w", s.w.path, err)
	}
	s.records = append(s.records, record{seg: s.w, off: s.wsize, n: len(payload), at: now, size: size})
	s.w.pending++
	s.wsize += size
	s.bytes += size
	close(s.appended)
	s.appended = make(chan struct{})
	return nil
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
	s.w, s.wsize = seg, 0
	return nil
}

func (s *spool) abandon() {
	if s.w.pending == 0 {
		s.w.f.Close()
		_ = os.Remove(s.w.path) // nothing acknowledged lives there
	}
	s.w = nil
}

// head returns the payload of the oldest pending record, or ok=false and a
// channel closed at the next append when the spool is empty. A record that
// fails its CRC on re-read (disk corruption) is returned as an error.
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
	if n, _, valid := parseRecord(buf); !valid || n != r.n {
		return nil, true, nil, fmt.Errorf("spool: record at %s:%d is corrupt", r.seg.path, r.off)
	}
	return buf[recordHeader:], true, nil, nil
}

// ack removes the oldest record, deleting its segment when it was the last
// pending one there.
func (s *spool) ack() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.records[0]
	s.records = s.records[1:]
	s.bytes -= r.size
	r.seg.pending--
	close(s.freed)
	s.freed = make(chan struct{})
	if r.seg.pending > 0 {
		return nil
	}
	if r.seg == s.w {
		s.w = nil
	}
	r.seg.f.Close()
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
