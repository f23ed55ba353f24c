package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// identityRE takes the client address, the user and the user agent of an
// ent-format line.
var identityRE = regexp.MustCompile(`^(\S+) - (\S+) \[[^]]*\] "[^"]*" \S+ \S+ "[^"]*" "([^"]*)"`)

// minIdentity is the length below which a value is too generic to search.
const minIdentity = 6

// identities returns every client address, authenticated user id and
// browser user agent of the logs (the personal data of
// docs/design.md#privacy-model), skipping values too short or too generic to be searched for.
func identities(logs []*liveLog) map[string]bool {
	ids := map[string]bool{}
	for _, l := range logs {
		for _, line := range l.lines {
			m := identityRE.FindSubmatch(line)
			if m == nil {
				continue
			}
			for _, v := range m[1:] {
				if len(v) >= minIdentity && string(v) != "-" {
					ids[string(v)] = true
				}
			}
		}
	}
	return ids
}

// assertNoIdentities fails when a file under dirs (spool segments,
// checkpoints, state) or one of files (process logs) contains one of the
// identities. The salt file is the one secret allowed there.
func assertNoIdentities(t *testing.T, ids map[string]bool, dirs, files []string) {
	t.Helper()
	if len(ids) < 100 {
		t.Fatalf("only %d identities in the fixture: the check would prove little", len(ids))
	}
	// One pass over each file (megabytes of spool during an outage), not
	// one per identity: identities are indexed by their first bytes (every
	// one has at least minIdentity).
	byPrefix := map[string][]string{}
	for id := range ids {
		byPrefix[id[:minIdentity]] = append(byPrefix[id[:minIdentity]], id)
	}
	check := func(path string) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+minIdentity <= len(data); i++ {
			for _, id := range byPrefix[string(data[i:i+minIdentity])] {
				if bytes.HasPrefix(data[i:], []byte(id)) {
					t.Errorf("%s contains the identity %q", path, id)
					return
				}
			}
		}
	}
	scanned := 0
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() == "salt" {
				return err
			}
			scanned++
			check(path)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		check(f)
	}
	if scanned == 0 {
		t.Fatalf("no file under %v: nothing was checked", dirs)
	}
	t.Logf("privacy: %d identities absent from %d state and spool files and %d logs", len(ids), scanned, len(files))
}
