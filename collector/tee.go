package collector

import (
	"context"
	"errors"
)

// Tee is a Sink that hands every Write and Flush to each of its sinks in
// order. Sinks are independent: a failing one does not stop the others, and
// the errors are joined so that none is lost.
type Tee []Sink

// Write implements Sink.
func (t Tee) Write(ctx context.Context, points []Point) error {
	var errs []error
	for _, s := range t {
		errs = append(errs, s.Write(ctx, points))
	}
	return errors.Join(errs...)
}

// Flush implements Sink.
func (t Tee) Flush(ctx context.Context) error {
	var errs []error
	for _, s := range t {
		errs = append(errs, s.Flush(ctx))
	}
	return errors.Join(errs...)
}
