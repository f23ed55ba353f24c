package entlog

import (
	"bytes"
	"maps"
	"slices"
	"strings"
)

// ServiceOther is the service of page views outside every configured
// prefix.
const ServiceOther = "autre"

// Services maps request paths to the configured service slugs (`services:`,
// URL prefix → slug). A prefix matches whole path segments: /conversation
// matches /conversation and /conversation/inbox, not /conversations. The
// longest matching prefix wins. Only configured slugs and ServiceOther come
// out, so the service tag has a closed vocabulary whatever the input.
// Immutable after NewServices: safe for concurrent use; lookups do not
// allocate.
type Services struct {
	byPrefix map[string]int // prefix without trailing slash ("/" kept) → index in names
	names    []string       // sorted configured slugs, then ServiceOther
}

// NewServices builds the service map of cfg.Services (validated).
func NewServices(cfg ParseConfig) *Services {
	s := &Services{byPrefix: map[string]int{}}
	slugs := slices.Sorted(maps.Values(cfg.Services))
	slugs = slices.DeleteFunc(slices.Compact(slugs), func(v string) bool { return v == ServiceOther })
	s.names = append(slugs, ServiceOther)
	for prefix, slug := range cfg.Services {
		if prefix != "/" {
			prefix = strings.TrimRight(prefix, "/")
		}
		s.byPrefix[prefix] = slices.Index(s.names, slug)
	}
	return s
}

// Names returns the closed vocabulary of Service in the order of Index:
// the sorted configured slugs, then ServiceOther. Freshly allocated.
func (s *Services) Names() []string { return slices.Clone(s.names) }

// Service returns the slug of the service path belongs to, else
// ServiceOther.
func (s *Services) Service(path []byte) string { return s.names[s.Index(path)] }

// Index is Service as a position in Names, for callers that keep counters
// in arrays.
func (s *Services) Index(path []byte) int {
	if len(s.byPrefix) == 0 {
		return len(s.names) - 1
	}
	for p := path; len(p) > 0; {
		if i, ok := s.byPrefix[string(p)]; ok {
			return i
		}
		j := bytes.LastIndexByte(p, '/')
		if j <= 0 {
			break
		}
		p = p[:j]
	}
	if i, ok := s.byPrefix["/"]; ok {
		return i
	}
	return len(s.names) - 1
}
