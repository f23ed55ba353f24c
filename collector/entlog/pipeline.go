package entlog

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// pipeline carries lines through parsing, classification, profiling and
// hashing into the audience engine, and counts them by result. It is the
// only place where a Request (and so an identity) meets the engine: what
// goes on is an event with a salted Key. Not safe for concurrent use.
type pipeline struct {
	src    *Source
	st     *stage // the stage of serial reading (Stream)
	aud    *audience
	points []collector.Point

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
}

// Results of entpipe_lines_total besides the parse reasons.
const resultParsed, resultTooLate = collector.ResultParsed, collector.ResultTooLate

func (s *Source) newPipeline() (*pipeline, error) {
	st, err := s.newStage(nil)
	if err != nil {
		return nil, err
	}
	names := st.services.Names()
	p := &pipeline{
		src: s, st: st,
		unknownProfile: s.opts.Stats.Counter(collector.MetricLabelOverflows, collector.LabelSource, s.name, collector.LabelLabel, collector.TagProfile),
		results:        map[string]int64{}, published: map[string]int64{}, counters: map[string]*collector.Counter{},
		warned: map[string]time.Time{}, skipped: map[string]int{},
	}
	for _, r := range append([]string{resultParsed, resultTooLate}, ParseReasons()...) {
		p.counters[r] = s.opts.Stats.Counter(collector.MetricLines, collector.LabelSource, s.name, collector.LabelResult, r)
	}
	p.aud = newAudience(newPointWriter(s.cfg.Site, names), s.opts.Location, s.cfg.Horizon, s.cfg.ReorderWindow, func() { p.results[resultTooLate]++ })
	return p, nil
}

// line processes one line; file and lineNo only locate sampled warnings.
func (p *pipeline) line(b []byte, file string, lineNo int64) {
	ev, reason, unknown := p.st.event(b)
	if reason != "" {
		p.bad(reason, file, lineNo)
		return
	}
	p.accept(ev, unknown)
}

// accept counts a parsed line and hands its event to the engine.
func (p *pipeline) accept(ev event, unknownProfile bool) {
	p.parsed++
	if unknownProfile {
		p.unknownProfile.Inc()
	}
	if p.first == 0 || ev.T < p.first {
		p.first = ev.T
	}
	p.last = max(p.last, ev.T)
	p.aud.add(ev)
}

// bad counts a rejected line and logs a sample of them: at most one warning
// per reason a minute, giving the file and line number, never the line.
func (p *pipeline) bad(reason, file string, lineNo int64) {
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

// emit writes the points of every changed, closed bucket (every bucket when
// all is set) in batches. Points whose Write failed stay queued and go out
// first at the next call: collect has already marked their buckets clean,
// so a checkpoint after a later successful emit and Flush still covers them.
func (p *pipeline) emit(ctx context.Context, sink collector.Sink, all bool) error {
	p.points = p.gather(p.points, all) // after any points still queued
	sent, err := p.write(ctx, sink, p.points)
	rest := copy(p.points, p.points[sent:])
	clear(p.points[rest:]) // let the maps go
	p.points = p.points[:rest]
	if err != nil {
		return fmt.Errorf("entlog %s: write: %w", p.src.name, err)
	}
	return nil
}

// gather publishes the counts and appends to out the points of every
// changed, closed bucket (every bucket when all is set).
func (p *pipeline) gather(out []collector.Point, all bool) []collector.Point {
	p.publish()
	if all {
		p.aud.finish()
	}
	return p.aud.collect(out, all)
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
