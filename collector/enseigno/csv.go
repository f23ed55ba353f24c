package enseigno

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csv reads a delimited export whose first line is the header.
func (p *parser) csv(file string, data []byte) error {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = detectSeparator(data)
	if p.cfg.Separator != "" {
		r.Comma = separatorRune(p.cfg.Separator)
	}
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: read header: %w", file, err)
	}
	p.head = resolveHeader(p.cfg, header)
	if err := p.head.check(p.cfg, file); err != nil {
		return err
	}
	idx := p.head.index
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
			e := RowError{File: file, Line: pe.StartLine, Column: pe.Column, Msg: pe.Err.Error()}
			if pe.StartLine != pe.Line { // a quoted cell ran over lines
				e.Column, e.Msg = 1, fmt.Sprintf("%s (detected at line %d, column %d)", e.Msg, pe.Line, pe.Column)
			}
			p.sum.RowsRead++
			p.bad(e)
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		var short *RowError
		if len(rec) < len(header) {
			line, _ := r.FieldPos(0)
			short = &RowError{File: file, Line: line, Column: len(rec) + 1,
				Msg: fmt.Sprintf("row has %d cells, header has %d", len(rec), len(header))}
		}
		p.row(rowReader{
			short: short,
			get: func(c int) (cell, bool) {
				if idx[c] < 0 || idx[c] >= len(rec) {
					return cell{}, false
				}
				return cell{text: strings.TrimSpace(rec[idx[c]])}, true
			},
			at: func(c int) RowError {
				line, _ := r.FieldPos(0)
				return RowError{File: file, Line: line, Column: idx[c] + 1, Name: p.head.names[c]}
			},
		})
	}
}
