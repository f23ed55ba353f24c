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
// above 0x7F that are not valid UTF-8. Eight bytes are tested at a time
// without branches; only a line with a suspect byte is looked at closely.
func checkLine(line []byte) error {
	if len(line) > MaxLineBytes {
		return errTooLong
	}
	const highs, spaces = 0x8080808080808080, 0x2020202020202020
	var any, ctl uint64
	i := 0
	for ; i+8 <= len(line); i += 8 {
		w := binary.LittleEndian.Uint64(line[i:])
		any |= w
		// (w - 0x20…) & ^w has a high bit set iff some byte is below 0x20
		// (no byte ≥ 0x20 borrows, so there are no false positives).
		ctl |= (w - spaces) &^ w
	}
	for _, c := range line[i:] {
		any |= uint64(c) << 56
		if c < 0x20 {
			ctl |= highs
		}
	}
	if ctl&highs != 0 && hasControl(line) {
		return errBinary
	}
	if any&highs != 0 && !utf8.Valid(line) {
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
