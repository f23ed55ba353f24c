package entlog

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// pipeline carries lines through parsing, classification, profiling and
// hashing into the audience engine, and counts every line in exactly one
// result: parsed (counted by the engine), too_late, future, or the reason
// it was rejected. It is the only place where a Request (and so an
// identity) meets the engine: what goes on is an event with a salted Key.
// Not safe for concurrent use.
type pipeline struct {
	src    *Source
	st     *stage // the stage of serial reading (Stream)
	aud    *audience
	points []collector.Point

	// futureAt is the time after which a line is future: max_future after
	// the wall clock as of the last refresh (see refresh).
	futureAt int64
	ahead    aheadGuard // import only: lines far ahead of the lines around them

	unknownProfile *collector.Counter // raw profile values outside the aliases, folded into autre

	parsed    int64            // lines parsed since the start of this run
	results   map[string]int64 // other lines by result since the start of this run
	published map[string]int64 // part of results already added to Stats
	counters  map[string]*collector.Counter
	newest    *collector.Gauge     // entpipe_source_newest_event_timestamp_seconds, once a line is parsed
	warned    map[string]time.Time // last warning per reason (rate limit)
	skipped   map[string]int       // warnings suppressed since
	first     int64                // event time span of parsed lines
	last      int64
	written   atomic.Int64 // points handed to the sink, read by an import's progress

	admitFn, aheadFn func(guardedLine) // method values of admit and rejectAhead, made once
}

// Results of entpipe_lines_total besides the parse reasons.
const resultParsed, resultTooLate, resultFuture = collector.ResultParsed, collector.ResultTooLate, collector.ResultFuture

func (s *Source) newPipeline() (*pipeline, error) {
	st, err := s.newStage(nil)
	if err != nil {
		return nil, err
	}
	p := &pipeline{
		src: s, st: st,
		ahead:          aheadGuard{limit: int64(s.cfg.MaxFuture), confirm: aheadConfirm},
		unknownProfile: s.opts.Stats.Counter(collector.MetricLabelOverflows, collector.LabelSource, s.name, collector.LabelLabel, collector.TagProfile),
		results:        map[string]int64{}, published: map[string]int64{}, counters: map[string]*collector.Counter{},
		warned: map[string]time.Time{}, skipped: map[string]int{},
	}
	p.admitFn, p.aheadFn = p.admit, p.rejectAhead
	for _, r := range append([]string{resultParsed, resultTooLate, resultFuture}, ParseReasons()...) {
		p.counters[r] = s.opts.Stats.Counter(collector.MetricLines, collector.LabelSource, s.name, collector.LabelResult, r)
	}
	p.aud = newAudience(newPointWriter(s.cfg.Site, st.services.Names()), s.opts.Location, s.cfg.Horizon)
	p.refresh(s.now())
	return p, nil
}

// refresh sets the wall clock the future limit is measured from. Callers
// refresh it every few thousand lines, so a line is compared with a clock
// at most that many lines old, without reading the clock per line.
func (p *pipeline) refresh(now time.Time) { p.futureAt = now.UnixNano() + int64(p.src.cfg.MaxFuture) }

// line processes one line of a followed file (run): a parsed line beyond
// the wall clock's future limit is future, any other goes to accept. It
// returns the line's event time and true when the line was parsed and
// counted.
func (p *pipeline) line(b []byte, file string, lineNo int64) (int64, bool) {
	ev, reason, unknown := p.st.event(b)
	switch {
	case reason != "":
		p.reject(reason, file, lineNo)
		return 0, false
	case ev.T > p.futureAt:
		p.reject(resultFuture, file, lineNo)
		return ev.T, false
	}
	return ev.T, p.accept(guardedLine{ev: ev, unknown: unknown, file: file, lineNo: lineNo})
}

// accept counts a parsed line, already checked against the future limit
// (line, importLine), as too_late or parsed, handing the parsed ones to
// the engine, and reports whether it was parsed.
func (p *pipeline) accept(l guardedLine) bool {
	if !p.aud.add(l.ev) {
		p.reject(resultTooLate, l.file, l.lineNo)
		return false
	}
	p.parsed++
	if l.unknown {
		p.unknownProfile.Inc()
	}
	if p.first == 0 || l.ev.T < p.first {
		p.first = l.ev.T
	}
	p.last = max(p.last, l.ev.T)
	return true
}

// importLine processes one parsed line of an import: the wall clock's
// future limit first, then the guard against lines far ahead of the lines
// around them, then the engine, whose watermark follows the newest line.
func (p *pipeline) importLine(l guardedLine) {
	switch {
	case l.ev.T > p.futureAt:
		p.reject(resultFuture, l.file, l.lineNo)
	case p.ahead.pass(l.ev.T):
		p.admit(l)
	default:
		p.ahead.push(l, p.admitFn, p.aheadFn)
	}
}

// admit counts a line the guard let through and moves the watermark to
// the newest line less the reorder window.
func (p *pipeline) admit(l guardedLine) {
	if p.accept(l) {
		p.progress(p.aud.st.Held.MaxSeen)
	}
}

// rejectAhead counts a line the guard found ahead of the lines around it.
func (p *pipeline) rejectAhead(l guardedLine) { p.reject(resultFuture, l.file, l.lineNo) }

// progress moves the engine's watermark to complete, the time up to which
// every input has given its lines, less the reorder window, but never
// further than horizon behind the newest line: a line older than that
// would be too late anyway, and held page views stay bounded.
func (p *pipeline) progress(complete int64) {
	p.aud.advance(max(complete-int64(p.src.cfg.ReorderWindow), p.aud.st.Held.MaxSeen-p.aud.horizon))
}

// reject counts a line that is not parsed and logs a sample of them: at
// most one warning per reason a minute, giving the file and line number,
// never the line.
func (p *pipeline) reject(reason, file string, lineNo int64) {
	p.results[reason]++
	now := p.src.now()
	if last, ok := p.warned[reason]; ok && now.Sub(last) < time.Minute {
		p.skipped[reason]++
		return
	}
	p.src.opts.Log.Warn("bad log line", "source", p.src.name, "reason", reason, "file", file, "line", lineNo,
		"suppressed", p.skipped[reason])
	p.warned[reason] = now
	p.skipped[reason] = 0
}

// publish adds the counts since the last call to Stats and sets the time of
// the newest event. That gauge appears with the first parsed line: before,
// time() minus it would be a lag of fifty years.
func (p *pipeline) publish() {
	p.results[resultParsed] = p.parsed
	for r, n := range p.results {
		c := p.counters[r]
		if c == nil { // a reason outside ParseReasons (contract drift): still counted
			c = p.src.opts.Stats.Counter(collector.MetricLines, collector.LabelSource, p.src.name, collector.LabelResult, r)
			p.counters[r] = c
		}
		if d := n - p.published[r]; d > 0 {
			c.Add(float64(d))
			p.published[r] = n
		}
	}
	if p.last != 0 {
		if p.newest == nil {
			p.newest = p.src.opts.Stats.Gauge(collector.MetricSourceNewest, collector.LabelSource, p.src.name)
		}
		p.newest.Set(float64(p.last) / 1e9)
	}
}

// emit writes the points of the buckets mode covers that changed, in
// batches (with emitAll it first applies and closes everything). Points
// whose Write failed stay queued and go out first at the next call:
// collect has already marked their buckets clean, so a checkpoint after a
// later successful emit and Flush still covers them.
func (p *pipeline) emit(ctx context.Context, sink collector.Sink, mode emitMode) error {
	p.points = p.gather(p.points, mode) // after any points still queued
	sent, err := p.write(ctx, sink, p.points)
	rest := copy(p.points, p.points[sent:])
	clear(p.points[rest:]) // let the maps go
	p.points = p.points[:rest]
	if err != nil {
		return fmt.Errorf("entlog %s: write: %w", p.src.name, err)
	}
	return nil
}

// gather publishes the counts and appends to out the points of the
// buckets mode covers that changed.
func (p *pipeline) gather(out []collector.Point, mode emitMode) []collector.Point {
	p.publish()
	if mode == emitAll {
		p.aud.finish()
	}
	return p.aud.collect(out, mode)
}

// write hands points to the sink in batches and returns how many it took.
// Any goroutine may call it, one at a time: it touches only the count of
// points written.
func (p *pipeline) write(ctx context.Context, sink collector.Sink, points []collector.Point) (sent int, err error) {
	const batch = 5000
	for sent < len(points) {
		n := min(batch, len(points)-sent)
		if err := sink.Write(ctx, points[sent:sent+n]); err != nil {
			return sent, err
		}
		sent += n
		p.written.Add(int64(n))
	}
	return sent, nil
}
