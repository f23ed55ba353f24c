// Package report writes the directors' report: a static, printable French
// HTML page with the spring-2020 bulletin's charts, read back from InfluxDB
// through InfluxQL (docs/design.md#influxdb-schema), each chart also as PNG, SVG (drawn
// with gonum/plot) and CSV.
//
// Small-cell protection: a figure at a finer grain than the département
// (an ENT, a profile, a day, ten minutes) is published only when at least
// MinVisitors distinct visitors stand behind it; otherwise it is masked
// ("masqué" in the CSV, a gap in the chart) and the report says how many
// cells were masked and by which rule. Département-level figures (Enseigno,
// services by département) are published as they are.
package report

import (
	"context"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"time"
)

// Options say what to report on. Dates are civil dates (Europe/Paris days).
type Options struct {
	From, To time.Time // the period of the daily charts, inclusive
	Day      time.Time // the day of the intraday chart; its month is the monthly chart
	ENT      string    // the ent tag of the ENT-level charts
	Out      string    // output directory, created if missing
}

// Result lists what Render wrote.
type Result struct {
	Index  string   // the HTML page
	Files  []string // every file, the page included
	Masked int      // cells suppressed by the small-cell rule
}

// Render queries q and writes the report under o.Out. It is safe to run
// again on the same directory: every file is rewritten.
func Render(ctx context.Context, q Querier, o Options) (Result, error) {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return Result{}, fmt.Errorf("report: %w", err)
	}
	if o.To.Before(o.From) || o.ENT == "" {
		return Result{}, fmt.Errorf("report: want from <= to and an ENT, got %s..%s %q",
			o.From.Format(time.DateOnly), o.To.Format(time.DateOnly), o.ENT)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return Result{}, fmt.Errorf("report: %w", err)
	}
	b := &builder{q: q, loc: loc, o: o}
	var res Result
	var tables []*table
	for _, build := range []func(context.Context) (*table, error){
		b.intraday, b.profiles, b.month, b.enseigno, b.disciplines, b.services,
	} {
		t, err := build(ctx)
		if err != nil {
			return Result{}, fmt.Errorf("report: %w", err)
		}
		csv := filepath.Join(o.Out, t.ID+".csv")
		if err := t.writeCSV(csv); err != nil {
			return Result{}, fmt.Errorf("report: %w", err)
		}
		if err := drawChart(t, o.Out, loc); err != nil {
			return Result{}, fmt.Errorf("report: %w", err)
		}
		res.Files = append(res.Files, csv, filepath.Join(o.Out, t.ID+".png"), filepath.Join(o.Out, t.ID+".svg"))
		res.Masked += t.masked()
		tables = append(tables, t)
	}
	res.Index = filepath.Join(o.Out, "index.html")
	if err := writeHTML(res.Index, o, tables); err != nil {
		return Result{}, fmt.Errorf("report: %w", err)
	}
	res.Files = append(res.Files, res.Index)
	return res, nil
}

// keyFigures are the page's headline numbers, taken from the published
// (protected) cells only.
func keyFigures(o Options, tables []*table) []string {
	var out []string
	intraday, month, enseigno := tables[0], tables[2], tables[3]
	for i, t := range month.Times {
		if c := month.Series[0].Cells[i]; t.Day() == o.Day.Day() && !c.masked && c.v > 0 {
			out = append(out, fmt.Sprintf("%s : %s visites et %s pages vues le %s.", capital(entLabel(o.ENT)),
				thousands(month.Series[0].Cells[i].v), thousands(month.Series[1].Cells[i].v), frenchDate(o.Day)))
		}
	}
	peak, at := 0.0, time.Time{}
	for i, c := range intraday.Series[2].Cells {
		if !c.masked && c.v > peak {
			peak, at = c.v, intraday.Times[i]
		}
	}
	if peak > 0 {
		out = append(out, fmt.Sprintf("Pic de %s visites en cours vers %s.", thousands(peak), at.Format("15h04")))
	}
	var sessions, accounts float64
	for i, t := range enseigno.Times {
		if t.Year() == o.Day.Year() && t.Month() == o.Day.Month() {
			sessions += enseigno.Series[1].Cells[i].v
			if v := enseigno.Series[0].Cells[i].v; v > 0 {
				accounts = v
			}
		}
	}
	if sessions > 0 {
		out = append(out, fmt.Sprintf("Enseigno en %s : %s séances, %s comptes activés en fin de mois.",
			frenchMonth(o.Day), thousands(sessions), thousands(accounts)))
	}
	return out
}

func capital(s string) string {
	if len(s) > 2 && s[:2] == "l'" {
		return "L'" + s[2:]
	}
	return s
}

func writeHTML(path string, o Options, tables []*table) error {
	type chart struct {
		*table
		Masked int
		Rows   [][]string // bar charts: the data as an HTML table
	}
	var charts []chart
	for _, t := range tables {
		c := chart{table: t, Masked: t.masked()}
		if t.Kind == barsByLabel {
			for i := range t.rows() {
				row := []string{t.label(i)}
				for _, s := range t.Series {
					if s.Cells[i].masked {
						row = append(row, Masked)
					} else {
						row = append(row, thousands(s.Cells[i].v))
					}
				}
				c.Rows = append(c.Rows, row)
			}
		}
		charts = append(charts, c)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = page().Execute(f, map[string]any{
		"From": frenchDate(o.From), "To": frenchDate(o.To), "Day": frenchDate(o.Day), "ENT": entLabel(o.ENT),
		"Key": keyFigures(o, tables), "Charts": charts, "Min": MinVisitors,
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func page() *template.Template {
	return template.Must(template.New("report").Parse(`<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Usages des ENT et d'Enseigno — rapport pour les directions</title>
<style>
body { font-family: "Liberation Sans", Arial, sans-serif; max-width: 60em; margin: 2em auto; color: #222; line-height: 1.4; }
h1 { color: #1f4e9d; margin-bottom: 0.2em; }
h2 { color: #1f4e9d; border-bottom: 1px solid #ccd; padding-bottom: 0.2em; }
.sub { color: #555; margin-top: 0; }
figure { margin: 1em 0; page-break-inside: avoid; }
figure img { width: 100%; }
figcaption { font-size: 0.9em; color: #444; }
.secret { font-size: 0.85em; color: #7a4b00; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ccd; padding: 0.2em 0.6em; }
td { text-align: right; } td:first-child { text-align: left; }
section { page-break-inside: avoid; }
@media print { body { margin: 0; max-width: none; } .files { display: none; } }
</style>
</head>
<body>
<h1>Usages des ENT et d'Enseigno</h1>
<p class="sub">Rapport pour les directions — du {{.From}} au {{.To}} ; journée détaillée : {{.Day}} ({{.ENT}}).</p>
<h2>Chiffres clés</h2>
<ul>{{range .Key}}
<li>{{.}}</li>{{else}}
<li>Aucune donnée publiable pour la journée choisie.</li>{{end}}
</ul>
{{range .Charts}}
<section id="{{.ID}}">
<h2>{{.Title}}</h2>
<figure>
<img src="{{.ID}}.png" alt="{{.Title}}">
<figcaption>{{.Caption}}</figcaption>
</figure>
{{if .Rows}}<table>
<tr><th>{{.XName}}</th>{{range .Series}}<th>{{.Name}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{end}}
{{if .Rule}}<p class="secret">Secret statistique : {{.Rule}} Cases masquées dans ce graphique : {{.Masked}}.</p>{{end}}
<p class="files">Données : <a href="{{.ID}}.csv">CSV</a> · image : <a href="{{.ID}}.png">PNG</a>, <a href="{{.ID}}.svg">SVG</a></p>
</section>
{{end}}
<h2>Méthode</h2>
<p>Les chiffres sont lus dans InfluxDB, alimentée par entpipe à partir des journaux d'accès des ENT et des exports d'Enseigno.
Une <strong>page vue</strong> est une page (hors fichiers statiques, API, robots et sondes) servie avec succès ;
une <strong>visite</strong> est une suite de pages vues d'un même visiteur sans interruption de plus de 30 minutes, dans la même journée ;
les <strong>visiteurs uniques</strong> sont comptés exactement par jour. Les heures et les jours sont ceux de Paris.</p>
<p>Protection des petits effectifs : aucun chiffre plus fin que le département (un ENT, un profil, un jour, dix minutes) n'est publié
s'il repose sur moins de {{.Min}} visiteurs distincts ; il est alors masqué (« masqué » dans les fichiers CSV, absent des graphiques).
Les chiffres d'Enseigno et des services, donnés au niveau du département ou au-dessus, ne sont pas masqués.</p>
</body>
</html>
`))
}
