package influx

import (
	"bytes"
	"errors"
)

// Points are encoded by collector.AppendLine, the encoder the goldens use
// too. This file holds what the sink does with bodies of encoded lines.

// errNoLine is returned by splitLines for a body without a newline.
var errNoLine = errors.New("single line")

// splitLines cuts a body of newline-separated lines into two halves of
// about the same byte size, at a line boundary, for bisecting a rejected
// batch.
func splitLines(body []byte) (first, second []byte, err error) {
	mid := len(body) / 2
	if i := bytes.IndexByte(body[mid:], '\n'); i >= 0 {
		return body[:mid+i], body[mid+i+1:], nil
	}
	if i := bytes.LastIndexByte(body[:mid], '\n'); i >= 0 {
		return body[:i], body[i+1:], nil
	}
	return nil, nil, errNoLine
}

// countLines returns the number of points in a body.
func countLines(body []byte) int {
	if len(body) == 0 {
		return 0
	}
	return bytes.Count(body, []byte{'\n'}) + 1
}
