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
// above 0x7F that are not valid UTF-8. Eight bytes are tested at a time:
// the common all-printable-ASCII word costs two masks.
func checkLine(line []byte) error {
	if len(line) > MaxLineBytes {
		return errTooLong
	}
	const highs, spaces = 0x8080808080808080, 0x2020202020202020
	high := false
	i := 0
	for ; i+8 <= len(line); i += 8 {
		w := binary.LittleEndian.Uint64(line[i:])
		if w&highs != 0 {
			high = true
		}
		// (w - 0x20…) & ^w & 0x80… is non-zero iff some byte is below 0x20.
		if (w-spaces)&^w&highs != 0 && hasControl(line[i:i+8]) {
			return errBinary
		}
	}
	if hasControl(line[i:]) {
		return errBinary
	}
	for _, c := range line[i:] {
		high = high || c >= 0x80
	}
	if high && !utf8.Valid(line) {
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
