package entlog

import (
	"context"
	"runtime"
	"sync"
)

// batchLines is how many lines travel together to a parse worker: enough to
// amortise the channel operations, small enough to keep workers busy.
const batchLines = 2048

// batch is a run of consecutive lines of one file, copied out of the line
// reader, and what a worker made of them.
type batch struct {
	data    []byte
	ends    []int // end of each line in data
	tooLong []int // indexes of the lines skipped as too long (no content)
	file    string
	lineNo  int64 // number of the line before the first one

	lines []guardedLine // the parsed lines, in order
	bad   []badLine
	done  chan struct{}
}

type badLine struct {
	reason string
	lineNo int64
}

func (b *batch) reset(file string, lineNo int64) {
	b.data, b.ends, b.tooLong, b.file, b.lineNo = b.data[:0], b.ends[:0], b.tooLong[:0], file, lineNo
	b.lines, b.bad = b.lines[:0], b.bad[:0]
}

// fanout parses batches on every core and applies them to the pipeline in
// their original order, so an import gives exactly the results of reading
// serially while parsing, classification and hashing run in parallel. The
// caller's goroutine adds lines; one sequencer goroutine owns the pipeline
// (engine, counters, sink writes) until wait returns.
type fanout struct {
	p       *pipeline
	jobs    chan *batch
	order   chan *batch
	free    chan *batch
	cur     *batch
	workers sync.WaitGroup
	seq     sync.WaitGroup
	err     error // first error of the sequencer (sink), read after wait
	ctx     context.Context
	cancel  context.CancelFunc
}

// newFanout starts the workers and the sequencer; apply is called by the
// sequencer after each batch (to write points every so often).
func newFanout(ctx context.Context, src *Source, p *pipeline, apply func(ctx context.Context) error) (*fanout, error) {
	workers := max(runtime.GOMAXPROCS(0), 1)
	inFlight := 2*workers + 2
	f := &fanout{p: p, jobs: make(chan *batch, inFlight), order: make(chan *batch, inFlight),
		free: make(chan *batch, inFlight)}
	f.ctx, f.cancel = context.WithCancel(ctx)
	for range inFlight {
		f.free <- &batch{done: make(chan struct{}, 1)}
	}
	for range workers {
		st, err := src.newStage(p.st)
		if err != nil {
			f.cancel()
			close(f.jobs)
			return nil, err
		}
		f.workers.Go(func() {
			for b := range f.jobs {
				b.parse(st)
				b.done <- struct{}{}
			}
		})
	}
	f.seq.Go(func() {
		for b := range f.order {
			<-b.done
			if f.err == nil {
				f.applyBatch(b)
				f.err = apply(f.ctx)
				if f.err != nil {
					f.cancel()
				}
			}
			f.free <- b
		}
	})
	f.cur = <-f.free
	return f, nil
}

func (b *batch) parse(st *stage) {
	start, skip := 0, 0
	for i, end := range b.ends {
		line := b.data[start:end]
		start = end
		if skip < len(b.tooLong) && b.tooLong[skip] == i {
			skip++
			b.bad = append(b.bad, badLine{ReasonTooLong, b.lineNo + int64(i) + 1})
			continue
		}
		ev, reason, unknown := st.event(line)
		if reason != "" {
			b.bad = append(b.bad, badLine{reason, b.lineNo + int64(i) + 1})
			continue
		}
		b.lines = append(b.lines, guardedLine{ev: ev, unknown: unknown, file: b.file, lineNo: b.lineNo + int64(i) + 1})
	}
}

// applyBatch counts the batch's lines in the pipeline, in their order
// (rejected lines first: their order does not matter).
func (f *fanout) applyBatch(b *batch) {
	f.p.refresh(f.p.src.now())
	for _, bad := range b.bad {
		f.p.reject(bad.reason, b.file, bad.lineNo)
	}
	for _, l := range b.lines {
		f.p.importLine(l)
	}
}

// line adds a line (copied) of file, numbered lineNo; tooLong lines carry
// no content. It returns the sequencer's error once it failed.
func (f *fanout) line(file string, lineNo int64, line []byte, tooLong bool) error {
	b := f.cur
	if len(b.ends) == 0 {
		b.reset(file, lineNo-1)
	}
	if tooLong {
		b.tooLong = append(b.tooLong, len(b.ends))
	} else {
		b.data = append(b.data, line...)
	}
	b.ends = append(b.ends, len(b.data))
	if len(b.ends) == batchLines {
		return f.dispatch()
	}
	return nil
}

// dispatch sends the current batch (if any) to a worker and the sequencer.
func (f *fanout) dispatch() error {
	if len(f.cur.ends) == 0 {
		return f.ctx.Err()
	}
	f.order <- f.cur
	f.jobs <- f.cur
	select {
	case f.cur = <-f.free:
	case <-f.ctx.Done():
		return f.ctx.Err()
	}
	f.cur.ends = f.cur.ends[:0]
	return nil
}

// wait sends what is left, stops the goroutines and returns the first
// error of the sequencer.
func (f *fanout) wait() error {
	if f.ctx.Err() == nil {
		f.dispatch()
	}
	close(f.jobs)
	close(f.order)
	f.workers.Wait()
	f.seq.Wait()
	f.cancel()
	return f.err
}
