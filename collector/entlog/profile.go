package entlog

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/entpipe/entpipe/collector"
)

// DefaultProfileAliases maps the raw profile values of the ENT platforms
// (ENT 92, eCollège 78, Oze 78, national directory codes) to profile slugs,
// as docs/design.md#vocabularies lists them. Keys are lowercase: matching
// ignores case. `profiles:` adds to them and wins on conflicts.
func DefaultProfileAliases() map[string]string {
	return map[string]string{
		"eleve": collector.ProfileEleve, "national_elv": collector.ProfileEleve, "student": collector.ProfileEleve,
		"parent": collector.ProfileParent, "national_tut": collector.ProfileParent, "relative": collector.ProfileParent,
		"enseignant": collector.ProfileEnseignant, "national_ens": collector.ProfileEnseignant, "teacher": collector.ProfileEnseignant,
		"personnel": collector.ProfilePersonnel, "national_dir": collector.ProfilePersonnel, "national_evs": collector.ProfilePersonnel,
		"national_eta": collector.ProfilePersonnel, "national_doc": collector.ProfilePersonnel,
		"invite": collector.ProfileInvite, "guest": collector.ProfileInvite,
	}
}

// maxRawProfile bounds the raw values looked up; longer ones are unknown.
const maxRawProfile = 64

// Profiler gives a visitor its profile (docs/design.md#vocabularies): the
// raw value of the line's profile field mapped through the aliases, else
// the directory export entry of the hashed user id, else autre when
// authenticated and anonyme when not. A raw value outside the aliases
// gives autre and is reported as unknown so the caller counts it
// (unknown_profile).
//
// Profile and Lookup do not allocate and only read: they may run
// concurrently with each other. Reload replaces the directory entries and
// hashes with the Hasher given to NewProfiler, so it must not run
// concurrently with Profile, Lookup or other uses of that Hasher.
type Profiler struct {
	aliases map[string]int // lowercase raw value → index in slugs
	slugs   []string       // collector.Profiles()
	autre   int
	anonyme int
	dir     *directory // nil without `directory:`
}

// NewProfiler builds the profiler of cfg. With a directory configured it
// loads it now, hashing uids with h; an unreadable directory is an error.
func NewProfiler(cfg ParseConfig, h *Hasher, log *slog.Logger) (*Profiler, error) {
	p := &Profiler{aliases: map[string]int{}, slugs: collector.Profiles()}
	p.autre = slices.Index(p.slugs, collector.ProfileAutre)
	p.anonyme = slices.Index(p.slugs, collector.ProfileAnonyme)
	aliases := DefaultProfileAliases()
	for raw, slug := range cfg.Profiles {
		aliases[strings.ToLower(strings.TrimSpace(raw))] = slug
	}
	for raw, slug := range aliases {
		i := slices.Index(p.slugs, slug)
		if i < 0 || i == p.anonyme {
			return nil, fmt.Errorf("entlog: profile alias %q: %q is not a profile of an authenticated user", raw, slug)
		}
		p.aliases[raw] = i
	}
	if cfg.Directory != "" {
		p.dir = &directory{path: cfg.Directory, hasher: h, resolve: p.raw, log: log}
		if err := p.dir.reload(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Profile returns the profile slug of the visitor of r: user is the key
// of r.User, meaningful when authenticated.
func (p *Profiler) Profile(r *Request, user Key, authenticated bool) string {
	i, _ := p.Lookup(r, user, authenticated)
	return p.slugs[i]
}

// Lookup is Profile as an index in collector.Profiles(), and unknown
// reports a raw profile value outside the aliases (counted by the caller).
func (p *Profiler) Lookup(r *Request, user Key, authenticated bool) (profile int, unknown bool) {
	if raw := r.Profile; len(raw) > 0 && !(len(raw) == 1 && raw[0] == '-') {
		if i, ok := p.raw(raw); ok {
			return i, false
		}
		return p.autre, true
	}
	if !authenticated {
		return p.anonyme, false
	}
	if p.dir != nil {
		if i, ok := p.dir.entries[user]; ok {
			return int(i), false
		}
	}
	return p.autre, false
}

// raw maps a raw value through the aliases, ignoring ASCII case.
func (p *Profiler) raw(v []byte) (int, bool) {
	if len(v) > maxRawProfile {
		return 0, false
	}
	var buf [maxRawProfile]byte
	for i, b := range v {
		buf[i] = lower(b)
	}
	i, ok := p.aliases[string(buf[:len(v)])]
	return i, ok
}

// Reload re-reads the directory export when its size or modification time
// changed since the last load; without a directory it does nothing. On
// error the previous entries stay in use.
func (p *Profiler) Reload() error {
	if p.dir == nil {
		return nil
	}
	return p.dir.reload()
}
