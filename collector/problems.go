package collector

import (
	"errors"
	"fmt"
	"strings"
)

// Problems collects configuration mistakes with their YAML path so that a
// bad file is reported whole, every mistake at once, instead of one per
// attempt. Each config section has a Validate(Problems) method; the caller
// narrows the path with At. The zero value is not usable: start with
// NewProblems.
type Problems struct {
	path string
	errs *[]error
}

// NewProblems returns an empty collection rooted at the top of the file.
func NewProblems() Problems { return Problems{errs: new([]error)} }

// At returns a view of the same collection whose messages are prefixed by
// path below the current one: fields join with ".", a list index ("[2]")
// joins as is, and a segment after one ending in ":" (a named list item
// such as `sources[1] "oze78":`) joins with a space.
func (p Problems) At(path string) Problems {
	switch {
	case p.path == "", strings.HasPrefix(path, "["):
		path = p.path + path
	case strings.HasSuffix(p.path, ":"):
		path = p.path + " " + path
	default:
		path = p.path + "." + path
	}
	return Problems{path: path, errs: p.errs}
}

// Addf records a problem at the current path.
func (p Problems) Addf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if p.path != "" {
		sep := ": "
		if strings.HasSuffix(p.path, ":") {
			sep = " "
		}
		msg = p.path + sep + msg
	}
	*p.errs = append(*p.errs, errors.New(msg))
}

// Path is the YAML path that prefixes the messages of this view.
func (p Problems) Path() string { return p.path }

// Err returns every recorded problem joined (one per line), or nil.
func (p Problems) Err() error { return errors.Join(*p.errs...) }

// Len is the number of problems recorded so far.
func (p Problems) Len() int { return len(*p.errs) }

// Section is a configuration section with explicit defaults and
// validation, as every source and sink config is.
type Section interface {
	ApplyDefaults()
	Validate(Problems)
}

// Check applies s's defaults, then returns all of its problems joined, or
// nil. Constructors call it so that a config built in code (tests, tools)
// gets the same checks as one loaded from YAML.
func Check(s Section) error {
	s.ApplyDefaults()
	p := NewProblems()
	s.Validate(p)
	return p.Err()
}
