package collector

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// FileError is an input file an import could not read whole: missing,
// unreadable, or damaged (a .gz cut short) after Lines good lines, which
// were imported. One bad file in a list must not cost the others: an
// import reports it and goes on.
type FileError struct {
	Path  string
	Lines int64 // lines read and imported before the failure
	Err   error
}

// Error names the path once, whether or not Err already starts with it.
func (e FileError) Error() string {
	msg := e.Err.Error()
	var pe *fs.PathError
	if errors.As(e.Err, &pe) && pe.Path == e.Path {
		msg = pe.Op + ": " + pe.Err.Error()
	}
	if !strings.HasPrefix(msg, e.Path+": ") {
		msg = e.Path + ": " + msg
	}
	if e.Lines > 0 {
		return fmt.Sprintf("%s (after %d lines, imported)", msg, e.Lines)
	}
	return msg
}

func (e FileError) Unwrap() error { return e.Err }

// FileErrors is the error of an import that skipped files (or their
// damaged ends) and imported and wrote everything else.
type FileErrors []FileError

func (e FileErrors) Error() string {
	msgs := make([]string, len(e))
	for i, fe := range e {
		msgs[i] = fe.Error()
	}
	return fmt.Sprintf("%d file(s) not read whole: %s", len(e), strings.Join(msgs, "; "))
}
