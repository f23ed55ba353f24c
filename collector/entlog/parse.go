package entlog

import (
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf8"
)

// NewParser returns the Parser for cfg: a compiled log_format, the built-in
// combined or ent formats, or json with its field mapping. loc is the zone
// of timestamps written without offset (nil = UTC; callers pass the
// configured zone, Europe/Paris by default). cfg must have had its defaults
// applied. The Parser is not safe for concurrent use: one per goroutine.
func NewParser(cfg ParseConfig, loc *time.Location) (Parser, error) {
	format := cfg.LogFormat
	switch {
	case format != "":
	case cfg.Format == "combined":
		format = CombinedFormat
	case cfg.Format == "ent":
		format = ENTFormat
	case cfg.Format == "json":
		p, err := newJSONParser(cfg, loc)
		if err != nil {
			return nil, fmt.Errorf("entlog: json format: %w", err)
		}
		return p, nil
	default:
		return nil, fmt.Errorf("entlog: unknown format %q", cfg.Format)
	}
	p, err := compileLogFormat(format, cfg.customVariables(), loc)
	if err != nil {
		return nil, fmt.Errorf("entlog: log_format: %w", err)
	}
	return p, nil
}

// checkLine rejects, before any field is read, lines that are too long,
// hold control bytes (binary junk; tab is allowed as a separator) or bytes
// above 0x7F that are not valid UTF-8. Sixteen bytes are tested at a time
// without branches for a suspect byte, below 0x20 or above 0x7F: only a
// line with one is looked at closely.
func checkLine(line []byte) error {
	if len(line) > MaxLineBytes {
		return errTooLong
	}
	const highs, spaces = 0x8080808080808080, 0x2020202020202020
	// (w - 0x20…) | w has the high bit of a suspect byte set, and of no
	// byte when there is none: a byte of 0x20 to 0x7F neither borrows nor
	// has its high bit set.
	var suspect uint64
	b := line
	for len(b) >= 16 {
		w, x := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:16])
		suspect |= (w - spaces) | w | (x - spaces) | x
		b = b[16:]
	}
	if len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		suspect |= (w - spaces) | w
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7f {
			suspect = highs
		}
	}
	switch {
	case suspect&highs == 0:
		return nil
	case hasControl(line):
		return errBinary
	case !utf8.Valid(line):
		return errBadUTF8
	}
	return nil
}

func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' {
			return true
		}
	}
	return false
}
