package enseigno

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// Column positions in Columns.list order.
const (
	colDate = iota
	colDepartment
	colDiscipline
	colValues // first value column; value i is column colValues+i
	nColumns  = colValues + nFields
)

// cell is one value of a row: text, or a JSON number.
type cell struct {
	text string
	num  bool
}

// rowReader gives a parser access to one row: get returns the cell of a
// column (false when absent), at returns the position of a column for
// error reports.
type rowReader struct {
	get func(col int) (cell, bool)
	at  func(col int) RowError
	// short, when set, reports a row with fewer cells than the header (a
	// truncated export, a stray line).
	short *RowError
}

// parser reads exports into an export; it is owned by one call.
type parser struct {
	cfg     *Config
	names   [nColumns]string // configured column names
	layout  string
	numbers numberParser
	discs   disciplines
	slugs   map[string]slugOf // memo of discs.slug by raw name
	totals  string            // folded TotalsLabel
	lastDay time.Time
	sum     *Summary
	out     export
	// other counts rows whose discipline folded into "other".
	other func()
}

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

// json reads an array of row objects, or an object holding it under
// cfg.JSONRows. Values are JSON numbers or strings in the export's
// conventions.
func (p *parser) json(file string, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := seekRows(dec, p.cfg.JSONRows); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for dec.More() {
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		start += int64(len(data[start:]) - len(bytes.TrimLeft(data[start:], " \t\r\n,")))
		var obj map[string]any
		od := json.NewDecoder(bytes.NewReader(raw))
		od.UseNumber()
		at := func(c int) RowError {
			off := start
			if c >= 0 {
				if i := bytes.Index(raw, []byte(`"`+p.names[c]+`"`)); i >= 0 {
					off += int64(i)
				}
			}
			line, col := lineCol(data, off)
			e := RowError{File: file, Line: line, Column: col}
			if c >= 0 {
				e.Name = p.names[c]
			}
			return e
		}
		if err := od.Decode(&obj); err != nil {
			e := at(-1)
			e.Msg = "row is not an object"
			p.bad(e)
			continue
		}
		p.row(rowReader{
			get: func(c int) (cell, bool) {
				switch v := obj[p.names[c]].(type) {
				case nil:
					return cell{}, false
				case json.Number:
					return cell{text: v.String(), num: true}, true
				case string:
					return cell{text: strings.TrimSpace(v)}, true
				default:
					return cell{text: fmt.Sprint(v)}, true
				}
			},
			at: at,
		})
	}
	return nil
}

// seekRows positions dec inside the row array.
func seekRows(dec *json.Decoder, key string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == json.Delim('[') {
		return nil
	}
	if tok != json.Delim('{') {
		return errors.New("not a JSON array or object")
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		if k == key {
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return fmt.Errorf("%q is not an array", key)
			}
			return nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return fmt.Errorf("no %q array", key)
}

func lineCol(data []byte, off int64) (line, col int) {
	before := data[:off]
	return bytes.Count(before, []byte("\n")) + 1, int(off) - bytes.LastIndexByte(before, '\n')
}

// row validates one row and adds it to p.out, or reports its first bad
// cell. Totals rows and rows of empty cells are skipped.
func (p *parser) row(r rowReader) {
	text := func(c int) string { v, _ := r.get(c); return v.text }
	if p.isTotals(text(colDate)) || p.isTotals(text(colDiscipline)) {
		p.sum.TotalsRows++
		return
	}
	empty := true
	for c := range nColumns {
		empty = empty && text(c) == ""
	}
	if empty {
		return
	}
	p.sum.RowsRead++
	if r.short != nil {
		p.bad(*r.short)
		return
	}
	fail := func(c int, format string, args ...any) {
		e := r.at(c)
		e.Msg = fmt.Sprintf(format, args...)
		p.bad(e)
	}
	day, err := parseDay(text(colDate), p.layout)
	if err != nil {
		fail(colDate, "%v (%s or yyyy-mm-dd)", err, p.cfg.DateLayout)
		return
	}
	if day.After(p.lastDay) {
		fail(colDate, "%s is in the future", day.Format(dayFormat))
		return
	}
	dep := p.cfg.Department
	if v := text(colDepartment); v != "" {
		if dep, err = department(v); err != nil {
			fail(colDepartment, "%v", err)
			return
		}
	}
	if _, ok := r.get(colDiscipline); !ok || text(colDiscipline) == "" {
		fail(colDiscipline, "discipline is missing")
		return
	}
	disc, known := p.slug(text(colDiscipline))
	var u usage
	for i := range nFields {
		v, ok := r.get(colValues + i)
		if !ok || v.text == "" {
			continue
		}
		u.v[i], err = p.value(i, v)
		if err != nil {
			fail(colValues+i, "%v", err)
			return
		}
		u.set[i] = true
	}
	if !known {
		p.sum.OtherRows++
		p.other()
	}
	p.sum.RowsImported++
	p.out.add(dayKey{dep, day}, disc, u)
}

type slugOf struct {
	slug  string
	known bool
}

func (p *parser) slug(raw string) (string, bool) {
	s, ok := p.slugs[raw]
	if !ok {
		s.slug, s.known = p.discs.slug(raw)
		p.slugs[raw] = s
	}
	return s.slug, s.known
}

// isTotals reports whether a cell starts with the totals label, ignoring case.
func (p *parser) isTotals(cell string) bool {
	return len(cell) >= len(p.totals) && strings.EqualFold(cell[:len(p.totals)], p.totals)
}

func (p *parser) value(i int, v cell) (float64, error) {
	np := p.numbers
	if v.num {
		np = numberParser{decimal: "point"}
	}
	if i == iHours {
		return np.hours(v.text)
	}
	return np.integer(v.text)
}

func (p *parser) bad(e RowError) {
	p.sum.RowsBad++
	if len(p.sum.Bad) < maxBadRows {
		p.sum.Bad = append(p.sum.Bad, e)
	}
}

var (
	departmentCodeRe = regexp.MustCompile(`^(0[1-9]|[1-8][0-9]|9[0-5]|2a|2b|97[1-6])$`)
	departmentInRe   = regexp.MustCompile(`(?:^|-)(0[1-9]|[1-8][0-9]|9[0-5]|2a|2b|97[1-6])(?:-|$)`)
)

// department reads a French department code ("92"), a name of an
// Île-de-France department, or a label holding a code ("Hauts-de-Seine
// (92)"): a fixed national vocabulary, so the tag stays bounded.
func department(s string) (string, error) {
	f := fold(s)
	if departmentCodeRe.MatchString(f) {
		return f, nil
	}
	names := map[string]string{"paris": "75", "seine-et-marne": "77", "yvelines": "78", "essonne": "91",
		"hauts-de-seine": "92", "seine-saint-denis": "93", "val-de-marne": "94", "val-d-oise": "95"}
	if code, ok := names[f]; ok {
		return code, nil
	}
	if m := departmentInRe.FindStringSubmatch(f); m != nil {
		return m[1], nil
	}
	return "", fmt.Errorf("%q is not a French department code or name", s)
}
