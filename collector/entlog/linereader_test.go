package entlog

import (
	"strings"
	"testing"
	"testing/iotest"
)

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 3*maxLine+17) // spans several buffer fills
	input := "a\r\nbb\n" + long + "\nccc\n\nlast"
	// One byte per Read: every boundary falls everywhere.
	lr := newLineReader(iotest.OneByteReader(strings.NewReader(input)), nil)
	type got struct {
		line     string
		tooLong  bool
		consumed int64
	}
	var lines []got
	for {
		line, tooLong, ok := lr.next()
		if !ok {
			break
		}
		lines = append(lines, got{string(line), tooLong, lr.consumed})
	}
	want := []got{
		{"a", false, 3},
		{"bb", false, 6},
		{"", true, int64(6 + len(long) + 1)},
		{"ccc", false, int64(6 + len(long) + 5)},
		{"", false, int64(6 + len(long) + 6)},
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines %v, want %d", len(lines), lines, len(want))
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %+v, want %+v", i, lines[i], want[i])
		}
	}
	if partial, tooLong := lr.rest(); string(partial) != "last" || tooLong || lr.err != nil {
		t.Errorf("rest = %q, %v, err %v; want \"last\"", partial, tooLong, lr.err)
	}
}
