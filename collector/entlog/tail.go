package entlog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/entpipe/entpipe/collector"
)

// fpMax is how many leading bytes fingerprint a file: enough to tell a
// rewritten (copytruncated) log from the one we were reading.
const fpMax = 1024

// fileID is a file's identity on disk, which survives renames.
type fileID struct{ Dev, Ino uint64 }

// fileState is what a checkpoint records of a followed file. Fields are
// exported for the checkpoint encoder only.
type fileState struct {
	ID     fileID
	Path   string
	Offset int64  // bytes of complete lines read
	Lines  int64  // line number of the last line read (for warnings)
	FP     uint64 // FNV-1a of the first FPLen bytes
	FPLen  int
	Newest int64 // event time of the newest line counted from the file (watermark.go)
}

// tracked is a followed file: its checkpointed state, the open file, and
// what the last read saw of it (watermark.go).
type tracked struct {
	fileState
	f     *os.File
	atEOF bool  // the last read reached the end of the file's complete lines
	mtime int64 // its modification time then (unix nanoseconds)
}

// follower follows the files matching the source's globs as `tail -F`
// does: it notices new files, rotation by rename and create (the renamed
// file is read to its end before the new one), and truncation, including
// copytruncate (size below the offset, or the leading bytes changed),
// after which the file is read again from its start. Not safe for
// concurrent use.
type follower struct {
	src         *Source
	files       map[fileID]*tracked
	started     bool // the first scan applies start_at
	lr          *lineReader
	fpBuf       []byte
	rotations   *collector.Counter
	truncations *collector.Counter
}

// lineFunc receives each complete line of a file t (t.Lines is its line
// number); tooLong lines have no content. The file's offset already
// includes the line when it is called.
type lineFunc func(t *tracked, line []byte, tooLong bool) error

func newFollower(s *Source) *follower {
	return &follower{
		src:         s,
		files:       map[fileID]*tracked{},
		lr:          newLineReader(nil, nil),
		fpBuf:       make([]byte, fpMax),
		rotations:   s.opts.Stats.Counter(collector.MetricFileRotations, collector.LabelSource, s.name),
		truncations: s.opts.Stats.Counter(collector.MetricFileTruncations, collector.LabelSource, s.name),
	}
}

// restore adopts checkpointed files; they are reopened at the next poll.
func (f *follower) restore(states []fileState) {
	for _, st := range states {
		f.files[st.ID] = &tracked{fileState: st}
	}
	f.started = len(states) > 0
}

func (f *follower) states() []fileState {
	out := make([]fileState, 0, len(f.files))
	for _, t := range f.files {
		out = append(out, t.fileState)
	}
	slices.SortFunc(out, func(a, b fileState) int {
		if a.Path < b.Path {
			return -1
		}
		if a.Path > b.Path {
			return 1
		}
		return 0
	})
	return out
}

func (f *follower) close() {
	for _, t := range f.files {
		if t.f != nil {
			t.f.Close()
			t.f = nil
		}
	}
}

// poll reads every matching file to its end: first files that left the
// globs (rotated away), then known files, then new ones.
func (f *follower) poll(ctx context.Context, fn lineFunc) error {
	current, err := f.scan()
	if err != nil {
		return err
	}
	if f.lostOpenFile(current) {
		// A rename between a glob and its stats (logrotate moving access.log
		// to access.log.1) hides the renamed file from this scan; forgetting
		// it would read it again from its start at the next poll. The
		// rename is over by now: look again.
		if current, err = f.scan(); err != nil {
			return err
		}
	}
	before := make([]fileState, 0, len(f.files))
	for _, t := range f.files {
		before = append(before, t.fileState)
	}
	for id, t := range f.files {
		if _, ok := current[id]; ok {
			continue
		}
		if t.f != nil { // renamed away or deleted: finish what we hold open
			if err := f.read(ctx, t, fn); err != nil {
				return err
			}
			t.f.Close()
		}
		f.rotations.Inc()
		delete(f.files, id)
	}
	paths := make([]string, 0, len(current))
	for _, p := range current {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var fresh []string
	for _, path := range paths {
		id := idOf(current, path)
		t := f.files[id]
		if t == nil {
			fresh = append(fresh, path)
			continue
		}
		if t.Path != path {
			f.rotations.Inc()
			t.Path = path
		}
		if err := f.open(t); errors.Is(err, fs.ErrNotExist) {
			continue // removed since the scan: the next poll sees it gone
		} else if err != nil {
			return err
		}
		if err := f.checkTruncation(t); err != nil {
			return err
		}
		if err := f.read(ctx, t, fn); err != nil {
			return err
		}
	}
	oldestFirst(fresh)
	for _, path := range fresh {
		t := &tracked{fileState: fileState{ID: idOf(current, path), Path: path}}
		if err := f.open(t); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		if err := f.startOffset(t, before); err != nil {
			return err
		}
		f.files[t.ID] = t
		if err := f.read(ctx, t, fn); err != nil {
			return err
		}
	}
	f.started = true
	return nil
}

// oldestFirst orders new files oldest first, so that lines are read in
// time order when several files appear at once (at the first start, after
// a restart without checkpoint, or a rotation entpipe did not see):
// logrotate's rotated siblings (access.log.1, access.log-20200330) sort
// after access.log by name but hold older lines, which would all be too
// late once access.log had been read. The order is by modification time;
// as file times are coarse (a clock tick), a rotation and the first writes
// to the new file often share one, so on a tie the file whose path
// extends the other's (access.log.1 extends access.log) comes first, then
// names in order.
func oldestFirst(paths []string) {
	mtime := make(map[string]int64, len(paths))
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil { // a vanished file is skipped by open
			mtime[p] = fi.ModTime().UnixNano()
		}
	}
	slices.SortStableFunc(paths, func(a, b string) int {
		if c := cmp.Compare(mtime[a], mtime[b]); c != 0 {
			return c
		}
		switch {
		case strings.HasPrefix(a, b):
			return -1
		case strings.HasPrefix(b, a):
			return 1
		}
		return strings.Compare(a, b)
	})
}

func idOf(current map[fileID]string, path string) fileID {
	for id, p := range current {
		if p == path {
			return id
		}
	}
	return fileID{}
}

// lostOpenFile reports whether a file held open is missing from current.
func (f *follower) lostOpenFile(current map[fileID]string) bool {
	for id, t := range f.files {
		if _, ok := current[id]; !ok && t.f != nil {
			return true
		}
	}
	return false
}

// scan expands the globs into regular files by identity.
func (f *follower) scan() (map[fileID]string, error) {
	current := map[fileID]string{}
	for _, pattern := range f.src.cfg.Paths {
		matches, err := f.src.glob(pattern)
		if err != nil {
			return nil, fmt.Errorf("entlog %s: glob %q: %w", f.src.name, pattern, err)
		}
		for _, m := range matches {
			if compressed(m) {
				continue // a rotated file logrotate compressed: read before it was renamed
			}
			fi, err := os.Stat(m)
			if err != nil || !fi.Mode().IsRegular() {
				continue // vanished between glob and stat, or not a file
			}
			st := fi.Sys().(*syscall.Stat_t)
			current[fileID{Dev: uint64(st.Dev), Ino: st.Ino}] = m
		}
	}
	return current, nil
}

// compressed reports whether path is a compressed rotation (by its
// extension). Globs such as access.log* match them, but their lines were read
// from the live file before rotation; following them would count them twice
// (or as binary junk). `entpipe import` reads them.
func compressed(path string) bool {
	switch filepath.Ext(path) {
	case ".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip":
		return true
	}
	return false
}

func (f *follower) open(t *tracked) error {
	if t.f != nil {
		return nil
	}
	file, err := os.Open(t.Path)
	if err != nil {
		return fmt.Errorf("entlog %s: open %s: %w", f.src.name, t.Path, err)
	}
	t.f = file
	return nil
}

// fingerprint hashes the first n bytes of t's file (fewer if it is shorter).
func (f *follower) fingerprint(t *tracked, n int) (uint64, int, error) {
	got, err := t.f.ReadAt(f.fpBuf[:n], 0)
	if err != nil && err != io.EOF {
		return 0, 0, fmt.Errorf("entlog %s: read %s: %w", f.src.name, t.Path, err)
	}
	h := fnv.New64a()
	h.Write(f.fpBuf[:got])
	return h.Sum64(), got, nil
}

// checkTruncation restarts t at 0 when its file shrank below the offset or
// its leading bytes changed.
func (f *follower) checkTruncation(t *tracked) error {
	fi, err := t.f.Stat()
	if err != nil {
		return fmt.Errorf("entlog %s: stat %s: %w", f.src.name, t.Path, err)
	}
	truncated := fi.Size() < t.Offset
	if !truncated && t.FPLen > 0 {
		fp, n, err := f.fingerprint(t, t.FPLen)
		if err != nil {
			return err
		}
		truncated = n < t.FPLen || fp != t.FP
	}
	if truncated {
		f.truncations.Inc()
		f.src.opts.Log.Info("log file truncated, reading it again from its start", "source", f.src.name, "file", t.Path)
		t.Offset, t.Lines, t.FPLen = 0, 0, 0
	}
	return nil
}

// startOffset sets where a newly found file is read from: after what a
// file with the same leading bytes had reached (a copy made by
// copytruncate, or the checkpointed file under a new identity), at its end
// on the first scan with start_at: end, else at 0.
func (f *follower) startOffset(t *tracked, known []fileState) error {
	fi, err := t.f.Stat()
	if err != nil {
		return fmt.Errorf("entlog %s: stat %s: %w", f.src.name, t.Path, err)
	}
	for _, k := range known {
		if k.FPLen == 0 || k.Offset > fi.Size() {
			continue
		}
		fp, n, err := f.fingerprint(t, k.FPLen)
		if err != nil {
			return err
		}
		if n == k.FPLen && fp == k.FP {
			t.Offset, t.Lines, t.Newest = k.Offset, k.Lines, k.Newest
			return nil
		}
	}
	if !f.started && f.src.cfg.StartAt == "end" {
		t.Offset = fi.Size()
	}
	return nil
}

// read hands every complete line after t's offset to fn, then refreshes the
// fingerprint and notes that t was read to its end, and when it was last
// written.
func (f *follower) read(ctx context.Context, t *tracked, fn lineFunc) error {
	t.atEOF = false
	base := t.Offset
	f.lr.reset(io.NewSectionReader(t.f, base, 1<<62))
	for {
		line, tooLong, ok := f.lr.next()
		if !ok {
			break
		}
		t.Offset = base + f.lr.consumed
		t.Lines++
		if err := fn(t, line, tooLong); err != nil {
			return err
		}
		if t.Lines%checkEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if f.lr.err != nil {
		return fmt.Errorf("entlog %s: read %s: %w", f.src.name, t.Path, f.lr.err)
	}
	if t.FPLen < fpMax {
		fp, n, err := f.fingerprint(t, fpMax)
		if err != nil {
			return err
		}
		t.FP, t.FPLen = fp, n
	}
	fi, err := t.f.Stat()
	if err != nil {
		return fmt.Errorf("entlog %s: stat %s: %w", f.src.name, t.Path, err)
	}
	t.atEOF, t.mtime = true, fi.ModTime().UnixNano()
	return nil
}
