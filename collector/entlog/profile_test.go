package entlog

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entpipe/entpipe/collector"
)

func TestProfileRule(t *testing.T) {
	h := NewHasher([]byte("salt"))
	dir := filepath.Join(t.TempDir(), "annuaire.csv")
	writeFile(t, dir, "\xef\xbb\xbfuid;profil;uai\n"+
		"u1;National_ENS;0920001A\n"+
		"\"u2\" ; \"parent\"\n"+
		"u3,Relative\n"+
		"# comment\n\n"+
		"u4;Martian\n")
	p, err := NewProfiler(ParseConfig{Directory: dir, Profiles: map[string]string{"Doc": "personnel", "TEACHER": "personnel"}},
		h, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	f := func(raw, user string, authenticated bool, want string, wantUnknown bool) {
		t.Helper()
		r := Request{Profile: []byte(raw), User: []byte(user)}
		got, unknown := p.Lookup(&r, h.User([]byte(user)), authenticated)
		if collector.Profiles()[got] != want || unknown != wantUnknown || p.Profile(&r, h.User([]byte(user)), authenticated) != want {
			t.Errorf("Lookup(%q, %q, %v) = %s, %v; want %s, %v", raw, user, authenticated, collector.Profiles()[got], unknown, want, wantUnknown)
		}
	}
	// The log field first, case-insensitive, aliases from config winning.
	f("National_ELV", "u1", true, collector.ProfileEleve, false)
	f("eleve", "", false, collector.ProfileEleve, false)
	f("STUDENT", "x", true, collector.ProfileEleve, false)
	f("national_tut", "x", true, collector.ProfileParent, false)
	f("Teacher", "x", true, collector.ProfilePersonnel, false)
	f("doc", "x", true, collector.ProfilePersonnel, false)
	f("National_EVS", "x", true, collector.ProfilePersonnel, false)
	f("Guest", "x", true, collector.ProfileInvite, false)
	// Unknown raw values: autre, flagged.
	f("Martian", "u1", true, collector.ProfileAutre, true)
	f(strings.Repeat("x", 100), "u1", true, collector.ProfileAutre, true)
	f("élève", "u1", true, collector.ProfileAutre, true)
	// No field ("" or "-"): the directory by hashed uid, else autre/anonyme.
	f("-", "u1", true, collector.ProfileEnseignant, false)
	f("", "u2", true, collector.ProfileParent, false)
	f("", "u3", true, collector.ProfileParent, false)
	f("", "u4", true, collector.ProfileAutre, false)
	f("", "nobody", true, collector.ProfileAutre, false)
	f("", "", false, collector.ProfileAnonyme, false)
	f("-", "u1", false, collector.ProfileAnonyme, false)
}

func TestDirectoryReload(t *testing.T) {
	h := NewHasher([]byte("salt"))
	path := filepath.Join(t.TempDir(), "annuaire.csv")
	writeFile(t, path, "u1;ELEVE\n")
	p, err := NewProfiler(ParseConfig{Directory: path}, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	profile := func(uid string) string { return p.Profile(&Request{}, h.User([]byte(uid)), true) }
	if profile("u1") != collector.ProfileEleve {
		t.Fatalf("u1: %s", profile("u1"))
	}
	// Changed: re-read.
	writeFile(t, path, "u1;PARENT\nu2;ENSEIGNANT\n")
	if err := p.Reload(); err != nil {
		t.Fatal(err)
	}
	if profile("u1") != collector.ProfileParent || profile("u2") != collector.ProfileEnseignant {
		t.Errorf("after reload: u1 %s, u2 %s", profile("u1"), profile("u2"))
	}
	// A broken or vanished file keeps the entries in use.
	writeFile(t, path, "u1;PARENT\nbroken line without separator\n")
	if err := p.Reload(); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("Reload of a broken file: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := p.Reload(); err == nil {
		t.Error("Reload of a missing file: no error")
	}
	if profile("u2") != collector.ProfileEnseignant {
		t.Errorf("entries lost after failed reloads: u2 %s", profile("u2"))
	}
	// No directory: Reload does nothing; a missing one fails at start.
	if err := (&Profiler{}).Reload(); err != nil {
		t.Error(err)
	}
	if _, err := NewProfiler(ParseConfig{Directory: path}, h, nil); err == nil {
		t.Error("NewProfiler with a missing directory: no error")
	}
}

func TestProfilerRejectsAnonymeAlias(t *testing.T) {
	if _, err := NewProfiler(ParseConfig{Profiles: map[string]string{"X": "anonyme"}}, NewHasher(nil), nil); err == nil {
		t.Error("alias to anonyme accepted")
	}
}
