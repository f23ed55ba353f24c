package influx

import (
	"bytes"
	"hash/maphash"
	"slices"
)

// This file holds the ordering rule of concurrent writes. A point is the
// total of a bucket, an upsert: InfluxDB keeps the last write of a series
// at a time. Two batches may therefore be in flight together, or land in
// either order, when they have no bucket in common; a batch that rewrites a
// bucket of an older one starts only once that one is durable (written, or
// spooled: then it goes to the spool behind it, see deliver). An import's
// batches follow the minutes, so they rarely share a bucket (the visitor
// sets of the current day, week and month, rewritten as they grow); a
// source that rewrites its buckets (late lines) waits where it must.

// bucketKey identifies the bucket of an encoded line: its series key (the
// measurement and tags, up to the first unescaped space) and its time (the
// last field). Two lines of one bucket have the same key; two buckets with
// the same 64-bit key (a collision) only make a batch wait for another.
func bucketKey(seed maphash.Seed, line []byte) uint64 {
	series := seriesEnd(line)
	at := bytes.LastIndexByte(line, ' ') + 1
	var h maphash.Hash
	h.SetSeed(seed)
	h.Write(line[:series])
	h.Write(line[at:])
	return h.Sum64()
}

// seriesEnd returns the index of the space that ends the series key of a
// line written by collector.AppendLine. A space inside a name is escaped
// with a backslash; the separator never follows one, because AppendLine
// refuses names that end with a backslash.
func seriesEnd(line []byte) int {
	for from := 0; ; {
		i := bytes.IndexByte(line[from:], ' ')
		if i < 0 {
			return len(line)
		}
		if i += from; i == 0 || line[i-1] != '\\' {
			return i
		}
		from = i + 1
	}
}

// overlap reports whether two sorted key lists have a key in common.
func overlap(a, b []uint64) bool {
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0] < b[0]:
			a = a[1:]
		case a[0] > b[0]:
			b = b[1:]
		default:
			return true
		}
	}
	return false
}

// startableLocked returns the oldest batch that no writer is delivering and
// whose blockers are all durable, or nil.
func (s *Sink) startableLocked() *batch {
	for _, b := range s.queue {
		if b.sending {
			continue
		}
		b.blockers = slices.DeleteFunc(b.blockers, func(older *batch) bool { return older.durable })
		if len(b.blockers) == 0 {
			return b
		}
	}
	return nil
}
