package report

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// MinVisitors is the small-cell threshold: a figure finer than the
// département is published only when at least this many distinct visitors
// stand behind it.
const MinVisitors = 5

// Masked is what the CSVs and the HTML show instead of a suppressed cell.
const Masked = "masqué"

// cell is one published figure; masked cells keep their value out of every
// output.
type cell struct {
	v      float64
	masked bool
}

// series is one line or bar group of a chart.
type series struct {
	Name  string
	Cells []cell
}

// chartKind says how a table is drawn.
type chartKind uint8

const (
	linesOverTime chartKind = iota // x is Times
	barsByLabel                    // x is Labels, one bar group per label
)

// table is one chart's data: what is drawn, written as CSV and summarised
// in the HTML. Rows are the x values, columns the series.
type table struct {
	ID, Title, Caption string
	Kind               chartKind
	XName              string      // first CSV column
	Times              []time.Time // linesOverTime: x values, in Europe/Paris
	TimeLayout         string      // CSV and tick layout of Times
	Labels             []string    // barsByLabel: x values
	YName              string
	Decimals           int // 0 for counts
	Series             []series
	// Rule says, in French, how small cells were protected; empty when the
	// figures are at the département grain or coarser.
	Rule string
}

// rows is the number of x values.
func (t *table) rows() int {
	if t.Kind == linesOverTime {
		return len(t.Times)
	}
	return len(t.Labels)
}

// label returns the x value of row i as written in the CSV.
func (t *table) label(i int) string {
	if t.Kind == linesOverTime {
		return t.Times[i].Format(t.TimeLayout)
	}
	return t.Labels[i]
}

// masked counts the suppressed cells.
func (t *table) masked() (n int) {
	for _, s := range t.Series {
		for _, c := range s.Cells {
			if c.masked {
				n++
			}
		}
	}
	return n
}

// format writes v the French way: decimal comma, no thousands separator
// (the CSV is read by spreadsheets).
func format(v float64, decimals int) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', decimals, 64), ".", ",", 1)
}

// writeCSV writes the table as a French spreadsheet CSV: UTF-8 with BOM,
// ";" separators, decimal comma, "masqué" for suppressed cells.
func (t *table) writeCSV(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	w.WriteString("\ufeff" + t.XName)
	for _, s := range t.Series {
		w.WriteString(";" + s.Name)
	}
	w.WriteString("\r\n")
	for i := range t.rows() {
		w.WriteString(t.label(i))
		for _, s := range t.Series {
			if s.Cells[i].masked {
				w.WriteString(";" + Masked)
			} else {
				w.WriteString(";" + format(s.Cells[i].v, t.Decimals))
			}
		}
		w.WriteString("\r\n")
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// protect masks cell i of every listed series when the visitors behind it
// are fewer than MinVisitors but not zero (an empty cell reveals no one).
// visitors[i] < 0 means unknown, which masks any non-zero cell.
func protect(t *table, visitors []float64, seriesIdx ...int) {
	for _, s := range seriesIdx {
		for i := range t.Series[s].Cells {
			c := &t.Series[s].Cells[i]
			if c.v == 0 {
				continue
			}
			if v := visitors[i]; v < MinVisitors {
				*c = cell{masked: true}
			}
		}
	}
}
