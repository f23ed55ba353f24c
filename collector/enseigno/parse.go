package enseigno

import (
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
	head    header // the export's columns, resolved from its header or keys
	layout  string
	numbers numberParser
	discs   disciplines
	slugs   map[string]slugOf // memo of discs.slug by raw name
	totals  string            // folded TotalsLabel
	lastDay time.Time
	sum     *Summary
	out     export
	// accounts records each day's activated-accounts values, to tell a
	// per-department level repeated on every row from per-discipline counts.
	accounts map[dayKey]*accountsSeen
	// other counts rows whose discipline folded into "other".
	other func()
}
