package entlog

import (
	"context"
	"fmt"

	"github.com/entpipe/entpipe/collector"
)

// emitter writes the points an import's sequencer collects on a goroutine
// of its own, so that the sink's work (encoding, and waiting while
// InfluxDB is behind) overlaps with the engine's instead of stopping it.
// Two point slices take turns: the engine renders the next emission while
// the sink takes the last, and is never more than one emission ahead.
type emitter struct {
	sink    collector.Sink
	p       *pipeline
	pending chan []collector.Point
	free    chan []collector.Point
	failed  chan struct{} // closed after the first Write error, held in err
	done    chan struct{} // closed when run returns
	err     error
}

func newEmitter(ctx context.Context, p *pipeline, sink collector.Sink) *emitter {
	e := &emitter{sink: sink, p: p, pending: make(chan []collector.Point, 1), free: make(chan []collector.Point, 2),
		failed: make(chan struct{}), done: make(chan struct{})}
	e.free <- nil
	e.free <- nil
	go e.run(ctx)
	return e
}

func (e *emitter) run(ctx context.Context) {
	defer close(e.done)
	for points := range e.pending {
		if e.err == nil {
			if _, err := e.p.write(ctx, e.sink, points); err != nil {
				e.err = err
				close(e.failed)
			}
		}
		clear(points) // let the maps go
		e.free <- points[:0]
	}
}

// emit collects the points of the buckets that changed and hands them to
// the sink's goroutine; it is called by the sequencer, which owns the
// engine. It waits while the sink is a whole emission behind.
func (e *emitter) emit(ctx context.Context) error {
	var points []collector.Point
	select {
	case points = <-e.free:
	case <-e.failed:
		return e.err
	case <-ctx.Done():
		return ctx.Err()
	}
	e.pending <- e.p.gather(points, emitClosed)
	return nil
}

// close waits until every emission is written and returns the first error.
func (e *emitter) close() error {
	close(e.pending)
	<-e.done
	if e.err != nil {
		return fmt.Errorf("entlog %s: write: %w", e.p.src.name, e.err)
	}
	return nil
}
