package entlog

import "math"

// In `run`, several files feed one engine (the front servers of an ENT,
// a log and its rotated sibling), and the engine may apply a page view's
// visit only once no file can still bring an earlier line. Each file
// tells how far it is complete — its mark — and the engine's watermark is
// the lowest mark less reorder_window (pipeline.progress), so lines
// interleaved across files, or written late by a server that buffers its
// log, give the visits of sorted input, as an import of the same lines in
// order would:
//
//   - While a file is being read, it is complete up to its newest line
//     (lines within a file are out of order by at most the reorder window).
//   - Once a file has been read to its end, it is complete up to its newest
//     line plus the wall time it has been silent since it was last written,
//     less the reorder window: a server writes its lines soon after their
//     time, or within its buffer's flush delay, which reorder_window must
//     then cover. So minutes close and visits are published at night, or
//     when an ENT stops, without a later line. Measuring silence from the
//     file's last write, not from the wall clock, keeps the mark at its
//     newest line for a file whose lines are not live (a replay of old
//     logs): it moves only when the file is written.
//   - A file whose lines are not live (its newest line older than horizon
//     before its last write) and which has been silent for horizon, or a
//     file with no line yet, does not hold the others back: a finished
//     copy of old lines must not stop the clock.
//
// pipeline.progress keeps the watermark within horizon of the newest line,
// so a file that lags behind (or a backlog read file after file after a
// restart) holds at most horizon of page views.

// mark is the time up to which t's lines are complete at wall time now
// (unix nanoseconds), and false when t does not hold the watermark back.
func (t *tracked) mark(now, window, horizon int64) (int64, bool) {
	if t.Newest == 0 {
		return 0, false
	}
	if !t.atEOF {
		return t.Newest, true
	}
	silence := now - t.mtime
	switch {
	case t.Newest >= t.mtime-horizon: // live: the newest line was written about its time
		return max(t.Newest, t.Newest+silence-window), true
	case silence > horizon:
		return 0, false
	}
	return t.Newest, true
}

// complete is the lowest mark of the followed files other than except
// (nil: of every file) at wall time now, and false when none holds the
// watermark back.
func (f *follower) complete(now int64, except *tracked) (int64, bool) {
	window, horizon := int64(f.src.cfg.ReorderWindow), int64(f.src.cfg.Horizon)
	lowest, any := int64(math.MaxInt64), false
	for _, t := range f.files {
		if t == except {
			continue
		}
		if m, ok := t.mark(now, window, horizon); ok {
			lowest, any = min(lowest, m), true
		}
	}
	return lowest, any
}
