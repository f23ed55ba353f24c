// Package collector holds the contracts every entpipe source and sink shares:
// the Point that crosses package boundaries, the Sink, Gatherer and Streamer
// roles, the Runner that owns source goroutines, the Tee that fans points out,
// the self-metrics Stats, and schema.go, the one list of every name written
// to InfluxDB. It imports only the standard library so that every other
// package can depend on it without pulling in a client library.
package collector

import (
	"context"
	"time"
)

// Point is one aggregate observation. Time is event time: the start of the
// bucket the values describe (a minute, a Europe/Paris day…), so replaying
// old logs lands in the past, and writing the same bucket twice is an
// idempotent upsert in InfluxDB.
//
// Measurement, tag keys and field keys are schema.go constants. Field values
// are int64 (counts) or float64 (ratios, seconds); a field keeps one type for
// ever. Tag values come from bounded vocabularies: never an identity.
type Point struct {
	Measurement string
	Tags        map[string]string
	Fields      map[string]any
	Time        time.Time
}

// Sink stores or exposes points.
//
// Write may buffer; it must not retain or modify the slice or the points'
// maps after it returns (the io.Writer rule), so callers may reuse them.
// Flush returns once every point given to Write before the call is durable:
// accepted by its destination, or appended and fsynced to a local spool.
// A source checkpoints its progress only after a successful Flush; that is
// what makes restarts lose and double nothing. Both methods are safe for
// concurrent use and honour ctx cancellation.
type Sink interface {
	Write(ctx context.Context, points []Point) error
	Flush(ctx context.Context) error
}

// Gatherer is a source polled at an interval by the Runner (an Enseigno
// export URL, a node_exporter endpoint). Gather returns the points of one
// poll; an error marks the source down until the next successful poll.
type Gatherer interface {
	Gather(ctx context.Context) ([]Point, error)
}

// Streamer is a source that runs until ctx is done, writing to sink as data
// arrives (log tailing). It returns nil only when ctx is done; any other
// return makes the Runner restart it with backoff.
type Streamer interface {
	Stream(ctx context.Context, sink Sink) error
}
