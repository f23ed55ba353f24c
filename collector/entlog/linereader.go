package entlog

import (
	"bytes"
	"io"
)

// maxLine is the buffer of a line: MaxLineBytes and its newline; longer lines are skipped and counted as
// too_long without ever being held whole, so a 1 MB line costs no memory.
const maxLine = MaxLineBytes + 1

// lineReader splits a stream into lines with one fixed buffer. Lines it
// returns alias the buffer and are valid until the next call. consumed is
// the number of bytes of the complete lines returned so far (newlines
// included): the offset a follower may checkpoint. Not safe for concurrent
// use.
type lineReader struct {
	r          io.Reader
	buf        []byte
	start, end int
	consumed   int64
	eof        bool
	err        error // first read error other than io.EOF
	skipping   bool  // inside a line longer than maxLine
}

func newLineReader(r io.Reader, buf []byte) *lineReader {
	if cap(buf) < maxLine {
		buf = make([]byte, maxLine)
	}
	return &lineReader{r: r, buf: buf[:maxLine]}
}

// reset points the reader at r, keeping its buffer.
func (l *lineReader) reset(r io.Reader) {
	*l = lineReader{r: r, buf: l.buf}
}

// next returns the next complete line (without "\n" or "\r\n"), or
// tooLong for a skipped overlong line. ok is false once no complete line
// is left; rest then tells what remains after the last newline.
func (l *lineReader) next() (line []byte, tooLong, ok bool) {
	skipped := int64(0)
	for {
		if i := bytes.IndexByte(l.buf[l.start:l.end], '\n'); i >= 0 {
			line = l.buf[l.start : l.start+i]
			l.start += i + 1
			l.consumed += skipped + int64(i) + 1
			if l.skipping {
				l.skipping = false
				return nil, true, true
			}
			return bytes.TrimSuffix(line, []byte{'\r'}), false, true
		}
		if l.eof {
			return nil, false, false
		}
		if l.start > 0 {
			l.end = copy(l.buf, l.buf[l.start:l.end])
			l.start = 0
		}
		if l.end == len(l.buf) { // no newline in a full buffer: skip the line
			l.skipping = true
			skipped += int64(l.end)
			l.end = 0
		}
		n, err := l.r.Read(l.buf[l.end:])
		l.end += n
		if err != nil {
			l.eof = true
			if err != io.EOF {
				l.err = err
			}
		}
	}
}

// rest returns the bytes after the last newline once next has reported the
// end: a last line without newline (import counts it; a follower waits for
// its end), or tooLong when that line was overlong.
func (l *lineReader) rest() (partial []byte, tooLong bool) {
	return l.buf[l.start:l.end], l.skipping
}
