package enseigno

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// baselineDays bounds the cumulative records kept per department: enough
// to re-import more than a year of overlapping exports.
const baselineDays = 400

// state is what a source remembers between runs, in StateDir/<name>.json:
// the validators of the last fetched export (for conditional GETs) and the
// cumulative values of every recent day (the baselines of cumulative
// exports). It holds aggregates only.
type state struct {
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	Cumulative   baselines `json:"cumulative,omitempty"`
}

// baselines: department → yyyy-mm-dd → discipline → field → value.
type baselines map[string]map[string]map[string]map[string]float64

const dayFormat = "2006-01-02"

func (b baselines) record(k dayKey, discs map[string]usage) {
	days := b[k.dep]
	if days == nil {
		days = map[string]map[string]map[string]float64{}
		b[k.dep] = days
	}
	rec := map[string]map[string]float64{}
	for disc, u := range discs {
		f := map[string]float64{}
		for i, name := range fieldNames {
			if u.set[i] {
				f[name] = u.v[i]
			}
		}
		rec[disc] = f
	}
	days[k.day.Format(dayFormat)] = rec
}

func (b baselines) get(k dayKey) (map[string]usage, bool) {
	rec, ok := b[k.dep][k.day.Format(dayFormat)]
	if !ok {
		return nil, false
	}
	out := make(map[string]usage, len(rec))
	for disc, f := range rec {
		var u usage
		for i, name := range fieldNames {
			u.v[i], u.set[i] = f[name]
		}
		out[disc] = u
	}
	return out, true
}

// prune drops records older than baselineDays before each department's
// latest day, so the file stays small.
func (b baselines) prune() {
	for _, days := range b {
		latest := ""
		for d := range days {
			latest = max(latest, d)
		}
		t, err := time.Parse(dayFormat, latest)
		if err != nil {
			continue
		}
		oldest := t.AddDate(0, 0, -baselineDays).Format(dayFormat)
		for d := range days {
			if d < oldest {
				delete(days, d)
			}
		}
	}
}

// stateFile loads and saves one source's state; with no directory the
// state lives only as long as each call.
type stateFile struct{ path string }

func (f stateFile) load() (*state, error) {
	st := &state{Cumulative: baselines{}}
	if f.path == "" {
		return st, nil
	}
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("read state %s: %w", f.path, err)
	}
	if st.Cumulative == nil {
		st.Cumulative = baselines{}
	}
	return st, nil
}

// save writes the state atomically: temporary file, fsync, rename.
func (f stateFile) save(st *state) error {
	if f.path == "" {
		return nil
	}
	st.Cumulative.prune()
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(f.path), 0o750); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := collector.WriteFileAtomic(f.path, data, 0o600); err != nil {
		return fmt.Errorf("save state %s: %w", f.path, err)
	}
	return nil
}
