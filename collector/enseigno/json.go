package enseigno

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// json reads an array of row objects, or an object holding it under
// cfg.JSONRows. Values are JSON numbers or strings in the export's
// conventions. The keys of every row together play the CSV header's part:
// they are resolved to columns before the rows are read.
func (p *parser) json(file string, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := seekRows(dec, p.cfg.JSONRows); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	type jsonRow struct {
		start int64 // offset of the row in data
		raw   json.RawMessage
		obj   map[string]any // nil: not an object
	}
	var rows []jsonRow
	seen := map[string]bool{}
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
		if od.Decode(&obj) != nil {
			obj = nil
		}
		for k := range obj {
			seen[k] = true
		}
		rows = append(rows, jsonRow{start, raw, obj})
	}
	p.head = resolveHeader(p.cfg, slices.Sorted(maps.Keys(seen))) // reports list keys sorted
	if err := p.head.check(p.cfg, file); err != nil {
		return err
	}
	for _, r := range rows {
		at := func(c int) RowError {
			off := r.start
			if c >= 0 {
				if i := bytes.Index(r.raw, []byte(`"`+p.head.names[c]+`"`)); i >= 0 {
					off += int64(i)
				}
			}
			line, col := lineCol(data, off)
			e := RowError{File: file, Line: line, Column: col}
			if c >= 0 {
				e.Name = p.head.names[c]
			}
			return e
		}
		if r.obj == nil {
			e := at(-1)
			e.Msg = "row is not an object"
			p.bad(e)
			continue
		}
		p.row(rowReader{
			get: func(c int) (cell, bool) {
				if p.head.index[c] < 0 {
					return cell{}, false
				}
				switch v := r.obj[p.head.names[c]].(type) {
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
