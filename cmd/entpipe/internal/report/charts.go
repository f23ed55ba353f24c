package report

import (
	"fmt"
	"image/color"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Chart size: the width of an A4 page's text block, landscape-ish.
const (
	chartWidth  = 24 * vg.Centimeter
	chartHeight = 11 * vg.Centimeter
)

// palette returns the colour of series i (the bulletin's blues and
// oranges, then colour-blind-safe extras).
func palette(i int) color.Color {
	colors := []color.RGBA{{0x1f, 0x4e, 0x9d, 0xff}, {0xf0, 0x8a, 0x24, 0xff}, {0x3a, 0x9e, 0x5c, 0xff},
		{0xc4, 0x3c, 0x3c, 0xff}, {0x7b, 0x5a, 0xa6, 0xff}, {0x6b, 0x6b, 0x6b, 0xff}}
	return colors[i%len(colors)]
}

// drawChart renders t with gonum/plot into <dir>/<id>.png and .svg.
// Masked cells are gaps in lines and missing bars.
func drawChart(t *table, dir string, loc *time.Location) error {
	p := plot.New()
	p.Title.Text = t.Title
	p.Y.Label.Text = t.YName
	p.Y.Min = 0
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	switch t.Kind {
	case linesOverTime:
		p.X.Tick.Marker = timeTicker{loc: loc}
		for si, s := range t.Series {
			legend := false
			for _, run := range runs(t, s) {
				l, err := plotter.NewLine(run)
				if err != nil {
					return fmt.Errorf("chart %s: %w", t.ID, err)
				}
				l.LineStyle.Color = palette(si)
				l.LineStyle.Width = vg.Points(1.5)
				p.Add(l)
				if !legend {
					p.Legend.Add(s.Name, l)
					legend = true
				}
			}
		}
	case barsByLabel:
		if len(t.Labels) == 0 {
			p.NominalX("aucune donnée")
			break
		}
		n := len(t.Series)
		width := min(chartWidth*0.75/vg.Length(len(t.Labels)*n), 1.5*vg.Centimeter)
		for si, s := range t.Series {
			vals := make(plotter.Values, len(s.Cells))
			for i, c := range s.Cells {
				if !c.masked {
					vals[i] = c.v
				}
			}
			b, err := plotter.NewBarChart(vals, width)
			if err != nil {
				return fmt.Errorf("chart %s: %w", t.ID, err)
			}
			b.Color = palette(si)
			b.LineStyle.Width = 0
			b.Offset = width * vg.Length(float64(si)-float64(n-1)/2)
			p.Add(b)
			p.Legend.Add(s.Name, b)
		}
		labels := make([]string, len(t.Labels))
		for i, l := range t.Labels {
			labels[i] = wrapLabel(l, labelChars(len(t.Labels)))
		}
		p.NominalX(labels...)
	}
	// Headroom above the highest value keeps the legend off the data: the
	// legend's rows (about 5 % of the height each, title row included)
	// must fit above the top value.
	var top float64
	for _, s := range t.Series {
		for _, c := range s.Cells {
			if !c.masked {
				top = max(top, c.v)
			}
		}
	}
	if top > 0 {
		p.Y.Max = top * max(1.3, 1/(1-0.05*float64(len(t.Series)+1)))
	}
	for _, ext := range []string{".png", ".svg"} {
		if err := p.Save(chartWidth, chartHeight, filepath.Join(dir, t.ID+ext)); err != nil {
			return fmt.Errorf("chart %s: %w", t.ID, err)
		}
	}
	return nil
}

// labelChars is how many characters of a category label fit under its
// slot when n labels share the axis (10-point serif: about 5 points a
// character).
func labelChars(n int) int {
	return max(int(chartWidth*0.85/vg.Length(n)/(5*vg.Points(1))), 6)
}

// wrapLabel breaks a label at spaces into lines of at most width
// characters (a longer word stays whole), so neighbouring category labels
// do not run into each other.
func wrapLabel(label string, width int) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(label) {
		switch {
		case line == "":
			line = w
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	return strings.Join(append(lines, line), "\n")
}

// runs splits a series into its stretches of published cells.
func runs(t *table, s series) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for i, c := range s.Cells {
		if c.masked {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, plotter.XY{X: float64(t.Times[i].Unix()), Y: c.v})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// timeTicker labels a time axis in Paris time: every two hours within a
// day, every week over a month, every month beyond.
type timeTicker struct{ loc *time.Location }

// Ticks implements plot.Ticker.
func (tt timeTicker) Ticks(lo, hi float64) []plot.Tick {
	from, to := time.Unix(int64(lo), 0).In(tt.loc), time.Unix(int64(hi), 0).In(tt.loc)
	var ticks []plot.Tick
	add := func(t time.Time, label string) {
		if v := float64(t.Unix()); v >= lo && v <= hi {
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
	}
	day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, tt.loc)
	switch span := to.Sub(from); {
	case span <= 26*time.Hour:
		for h := 0; h <= 24; h += 2 {
			t := time.Date(day.Year(), day.Month(), day.Day(), h, 0, 0, 0, tt.loc)
			add(t, fmt.Sprintf("%02dh", h))
		}
	case span <= 45*24*time.Hour:
		for t := day; !t.After(to); t = t.AddDate(0, 0, 1) {
			if t.Weekday() == time.Monday {
				add(t, t.Format("02/01"))
			}
		}
	default:
		for t := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, tt.loc); !t.After(to); t = t.AddDate(0, 1, 0) {
			short := [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
			add(t, fmt.Sprintf("%s %02d", short[t.Month()-1], t.Year()%100))
		}
	}
	return ticks
}
