package entlog

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/klauspost/compress/gzip"
)

// Progress reports how far an import has come; the callback gets it every
// few hundred thousand lines and at the end of each file.
type Progress struct {
	File   string // current file ("-" for stdin)
	Index  int    // its position in the list, from 0
	Files  int    // number of files
	Lines  int64  // lines read so far, all files
	Bytes  int64  // uncompressed bytes read so far, all files
	Points int64  // points handed to the sink so far
}

// Summary is what an import did, for `entpipe import` to print.
type Summary struct {
	Lines     int64            // lines read
	Results   map[string]int64 // lines by result (parsed, parse reasons, too_late, future): they add up to Lines
	PageViews int64
	Visits    int64
	Visitors  int64     // distinct visitors over the whole import
	Points    int64     // bucket totals handed to the sink (a bucket rewritten counts again)
	First     time.Time // event-time span of the parsed lines
	Last      time.Time
	Duration  time.Duration // wall-clock time of the import
}

// LinesPerSecond is the import's throughput in lines.
func (s Summary) LinesPerSecond() float64 { return s.perSecond(s.Lines) }

// PointsPerSecond is the import's throughput in points: what bounds it
// when InfluxDB is the slower side (small ENTs: few lines per bucket).
func (s Summary) PointsPerSecond() float64 { return s.perSecond(s.Points) }

func (s Summary) perSecond(n int64) float64 {
	if s.Duration <= 0 {
		return 0
	}
	return float64(n) / s.Duration.Seconds()
}

// String renders the summary for people, one fact a line.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lines read:      %d\n", s.Lines)
	keys := make([]string, 0, len(s.Results))
	for k := range s.Results {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-14s %d\n", k+":", s.Results[k])
	}
	fmt.Fprintf(&b, "page views:      %d\nvisits:          %d\nvisitors:        %d\n", s.PageViews, s.Visits, s.Visitors)
	if !s.First.IsZero() {
		fmt.Fprintf(&b, "time span:       %s to %s\n", s.First.Format(time.RFC3339), s.Last.Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "points:          %d\n", s.Points)
	fmt.Fprintf(&b, "duration:        %s (%.0f lines/s, %.0f points/s)\n", s.Duration.Round(time.Millisecond), s.LinesPerSecond(), s.PointsPerSecond())
	return b.String()
}

// Import reads paths in order ("-" is stdin; gzip is recognised by its
// magic bytes), aggregates them as one stream, writes every bucket and
// visitor set, and flushes the sink. Points go out in batches as minutes
// close, so memory grows with concurrent visitors, not with input size.
// Reading, parsing (on every core, fanout), the engine and the sink's
// writes (emitter) run at once, each on its own goroutines. Import uses
// no checkpoint; it is safe to run again on the same files (the points
// are totals). Files it cannot read whole are returned as a
// collector.FileErrors with the Summary of the rest, which was written.
func (s *Source) Import(ctx context.Context, sink collector.Sink, paths []string, stdin io.Reader, progress func(Progress)) (Summary, error) {
	start := s.now()
	p, err := s.newPipeline()
	if err != nil {
		return Summary{}, err
	}
	p.aud.st.Totals.Visitors = keySet{} // the summary counts distinct visitors
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	em := newEmitter(ctx, p, sink)
	batches := 0
	f, err := newFanout(ctx, s, p, func(ctx context.Context) error {
		if batches++; batches%(checkEvery/batchLines) != 0 {
			return nil
		}
		return em.emit(ctx)
	})
	if err != nil {
		cancel()
		em.close()
		return Summary{}, err
	}
	failed, readErr := s.readAll(f, paths, stdin, progress)
	seqErr := f.wait()
	if seqErr != nil {
		cancel() // a failed sequencer may leave the emitter blocked in the sink
	}
	if err := cmp.Or(em.close(), seqErr, readErr); err != nil {
		return Summary{}, err
	}
	p.ahead.flush(p.admitFn, p.aheadFn) // nothing came back after the lines still held
	if err := p.emit(ctx, sink, emitAll); err != nil {
		return Summary{}, err
	}
	if err := sink.Flush(ctx); err != nil {
		return Summary{}, fmt.Errorf("entlog %s: flush: %w", s.name, err)
	}
	sum := p.summary()
	sum.Duration = s.now().Sub(start)
	if len(failed) > 0 {
		return sum, fmt.Errorf("entlog %s: %w", s.name, failed)
	}
	return sum, nil
}

// summary is what the pipeline read and the engine counted since they
// started: lines by result from the pipeline, totals from the engine's
// State.
func (p *pipeline) summary() Summary {
	t := p.aud.st.Totals
	sum := Summary{Lines: p.parsed, Results: map[string]int64{}, PageViews: t.PageViews, Visits: t.Visits,
		Visitors: int64(len(t.Visitors)), Points: p.written.Load()}
	if p.parsed > 0 {
		sum.Results[resultParsed] = p.parsed
	}
	for r, n := range p.results {
		if r != resultParsed && n > 0 { // results holds parsed as of the last publish
			sum.Lines += n // results partition the lines: parsed excludes too_late and future
			sum.Results[r] = n
		}
	}
	if p.last != 0 {
		sum.First, sum.Last = time.Unix(0, p.first).UTC(), time.Unix(0, p.last).UTC()
	}
	return sum
}

// readAll hands the lines of paths, in order, to f, reporting progress. A
// file that cannot be opened or read to its end (missing, unreadable, a .gz
// cut short) is listed in failed, its lines before the damage kept, and the
// next files go on in the same stream; err is fatal (the sink failed).
func (s *Source) readAll(f *fanout, paths []string, stdin io.Reader, progress func(Progress)) (failed collector.FileErrors, err error) {
	pr := Progress{Files: len(paths)}
	lr := newLineReader(nil, nil)
	report := func() {
		if progress != nil {
			progress(pr)
		}
	}
	for i, path := range paths {
		pr.File, pr.Index = path, i
		r, closeFn, err := openInput(path, stdin)
		if err != nil {
			failed = append(failed, collector.FileError{Path: path, Err: err})
			report()
			continue
		}
		lr.reset(r)
		lineNo, base, bytesBase := int64(0), pr.Lines, pr.Bytes
		for {
			line, tooLong, ok := lr.next()
			if !ok {
				break
			}
			lineNo++
			if err := f.line(path, lineNo, line, tooLong); err != nil {
				closeFn()
				return failed, err
			}
			if lineNo%(16*checkEvery) == 0 {
				pr.Lines, pr.Bytes, pr.Points = base+lineNo, bytesBase+lr.consumed, f.p.written.Load()
				report()
			}
		}
		partial, tooLong := lr.rest()
		if lr.err != nil {
			// The damage cut the last line: it is not a line of the log.
			failed = append(failed, collector.FileError{Path: path, Lines: lineNo, Err: fmt.Errorf("read: %w", lr.err)})
			partial, tooLong = nil, false
		}
		if tooLong || len(partial) > 0 {
			lineNo++
			if err := f.line(path, lineNo, partial, tooLong); err != nil {
				closeFn()
				return failed, err
			}
		}
		closeFn()
		if err := f.dispatch(); err != nil { // batches do not span files
			return failed, err
		}
		pr.Lines, pr.Bytes, pr.Points = base+lineNo, bytesBase+lr.consumed+int64(len(partial)), f.p.written.Load()
		report()
	}
	return failed, nil
}

// openInput opens a file or stdin, decompressing gzip (klauspost/compress:
// its inflate takes 16 % less CPU than the standard library's, and
// decompression is a quarter of a gzipped import's CPU).
func openInput(path string, stdin io.Reader) (io.Reader, func(), error) {
	var r io.Reader = stdin
	closeFn := func() {}
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		r, closeFn = f, func() { f.Close() }
	} else if stdin == nil {
		return nil, nil, fmt.Errorf("stdin (-) is not available")
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			closeFn()
			return nil, nil, fmt.Errorf("gunzip: %w", err)
		}
		return zr, closeFn, nil
	}
	return br, closeFn, nil
}
