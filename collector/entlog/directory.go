package entlog

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"
)

// directory is the optional user directory export: CSV lines
// `uid;profile[;uai]` (`,` also accepted as separator, a header line and a
// UTF-8 BOM skipped, fields optionally quoted). Uids are hashed as they are
// read, so only Keys are kept: the export itself never stays in memory.
// Rows whose profile is unknown are left out (the user then counts as
// autre) and counted in the load log.
type directory struct {
	path    string
	hasher  *Hasher
	resolve func(raw []byte) (int, bool)
	log     *slog.Logger

	entries map[Key]uint8 // hashed uid → index in collector.Profiles()
	size    int64
	mtime   time.Time
}

// reload loads the file if it changed since the last load.
func (d *directory) reload() error {
	st, err := os.Stat(d.path)
	if err != nil {
		return fmt.Errorf("entlog: directory: %w", err)
	}
	if d.entries != nil && st.Size() == d.size && st.ModTime().Equal(d.mtime) {
		return nil
	}
	f, err := os.Open(d.path)
	if err != nil {
		return fmt.Errorf("entlog: directory: %w", err)
	}
	defer f.Close()
	entries, unknown, err := d.read(f)
	if err != nil {
		return fmt.Errorf("entlog: directory %s: %w", d.path, err)
	}
	d.entries, d.size, d.mtime = entries, st.Size(), st.ModTime()
	if d.log != nil {
		d.log.Info("directory loaded", "path", d.path, "users", len(entries), "unknown_profiles", unknown)
	}
	return nil
}

// read parses the export. Malformed rows (no separator, empty uid) are an
// error: a half-written file must not replace a good one.
func (d *directory) read(r io.Reader) (map[Key]uint8, int, error) {
	entries := map[Key]uint8{}
	unknown := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		sep := byte(';')
		if bytes.IndexByte(line, sep) < 0 {
			sep = ','
		}
		uid, rest, ok := bytes.Cut(line, []byte{sep})
		profile, _, _ := bytes.Cut(rest, []byte{sep})
		uid, profile = unquote(uid), unquote(profile)
		if !ok || len(uid) == 0 {
			return nil, 0, fmt.Errorf("line %d: want uid;profile[;uai]", n)
		}
		i, known := d.resolve(profile)
		switch {
		case known:
			entries[d.hasher.User(uid)] = uint8(i)
		case n == 1 || len(entries) == 0 && unknown == 0 && isHeader(uid):
			// header line
		default:
			unknown++
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, err
	}
	return entries, unknown, nil
}

// unquote trims spaces and one pair of double quotes.
func unquote(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = b[1 : len(b)-1]
	}
	return b
}

// isHeader recognises the usual first column titles of an export.
func isHeader(uid []byte) bool {
	for _, h := range []string{"uid", "id", "login", "user", "identifiant"} {
		if bytes.EqualFold(uid, []byte(h)) {
			return true
		}
	}
	return false
}
