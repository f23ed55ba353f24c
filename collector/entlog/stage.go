package entlog

import (
	"errors"
	"fmt"

	"github.com/entpipe/entpipe/collector"
)

// stage turns one line into an event: parse, classify, and for page views
// hash the visitor and find its profile and service. It is the only place
// where a Request, and so an identity, meets the engine: what comes out is
// an event with a salted Key. A stage is not safe for concurrent use (its
// Parser, Classifier cache, Hasher and Request are reused); parallel
// imports give each worker its own, sharing the immutable Services and the
// Profiler (whose Lookup only reads, and which is not reloaded during an
// import).
type stage struct {
	parser   Parser
	classes  *Classifier
	profiler *Profiler
	services *Services
	hasher   *Hasher
	req      Request
}

// newStage builds a stage; with shared set, it reuses that stage's
// profiler and services instead of building them (and loading the
// directory export) again.
func (s *Source) newStage(shared *stage) (*stage, error) {
	parser, err := NewParser(s.cfg.ParseConfig, s.opts.Location)
	if err != nil {
		return nil, fmt.Errorf("entlog %s: parser: %w", s.name, err)
	}
	classes, err := NewClassifier(s.cfg.ParseConfig)
	if err != nil {
		return nil, fmt.Errorf("entlog %s: classifier: %w", s.name, err)
	}
	st := &stage{parser: parser, classes: classes, hasher: NewHasher(s.opts.Salt)}
	if shared != nil {
		st.profiler, st.services = shared.profiler, shared.services
		return st, nil
	}
	if st.profiler, err = NewProfiler(s.cfg.ParseConfig, st.hasher, s.opts.Log); err != nil {
		return nil, fmt.Errorf("entlog %s: profiles: %w", s.name, err)
	}
	st.services = NewServices(s.cfg.ParseConfig)
	return st, nil
}

// event parses line. reason is the ParseError reason of a rejected line,
// else ""; unknownProfile reports a raw profile value outside the aliases
// (counted as autre).
func (st *stage) event(line []byte) (ev event, reason string, unknownProfile bool) {
	r := &st.req
	if err := st.parser.Parse(line, r); err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return ev, pe.Reason, false
		}
		return ev, ReasonMalformed, false
	}
	ev = event{T: r.Time.UnixNano(), Bytes: r.Bytes, Duration: r.Duration, HasDur: r.HasDuration,
		Status: uint8(collector.StatusClassIndex(r.Status))}
	class := st.classes.Class(r)
	ev.Class = classIndex(class)
	if !IsPageView(r, class) {
		return ev, "", false
	}
	ev.PageView = true
	authenticated := len(r.User) > 0 && !(len(r.User) == 1 && r.User[0] == '-')
	if authenticated {
		ev.Visitor = st.hasher.User(r.User)
	} else {
		ev.Visitor = st.hasher.Anonymous(r.IP, r.UserAgent)
	}
	profile, unknownProfile := st.profiler.Lookup(r, ev.Visitor, authenticated)
	ev.Profile = uint8(profile)
	ev.Service = uint16(st.services.Index(r.Path))
	return ev, "", unknownProfile
}

// classIndex is class's index in collector.Classes(), the only classes
// the Classifier returns.
func classIndex(class string) uint8 {
	i := collector.ClassIndex(class)
	if i < 0 {
		panic("BUG: the classifier returned " + class + ", not in collector.Classes()")
	}
	return uint8(i)
}
