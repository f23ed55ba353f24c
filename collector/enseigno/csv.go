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
	idx := [nColumns]int{}
	for c, name := range p.names {
		idx[c] = -1
		for i, h := range header {
			if fold(h) == fold(name) {
				idx[c] = i
				break
			}
		}
	}
	if err := p.checkColumns(file, func(c int) bool { return idx[c] >= 0 }); err != nil {
		return err
	}
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
				return RowError{File: file, Line: line, Column: idx[c] + 1, Name: p.names[c]}
			},
		})
	}
}

// checkColumns rejects an export that lacks the date or discipline column,
// or every value column: a wrong mapping, not bad rows.
func (p *parser) checkColumns(file string, has func(col int) bool) error {
	var missing []string
	for _, c := range []int{colDate, colDiscipline} {
		if !has(c) {
			missing = append(missing, fmt.Sprintf("%q", p.names[c]))
		}
	}
	values := 0
	for c := colValues; c < nColumns; c++ {
		if has(c) {
			values++
		}
	}
	if values == 0 {
		missing = append(missing, "every value column")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: missing %s (check columns: in the config)", file, strings.Join(missing, ", "))
	}
	return nil
}
