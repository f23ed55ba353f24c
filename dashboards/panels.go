package dashboards

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/grafana-tools/sdk"

	"github.com/entpipe/entpipe/collector"
)

// Datasource references. A panel names its datasource by a plain string that
// is both the name and the uid of the provisioned datasource: Grafana 7.5
// resolves the string by name, Grafana ≥ 8.3 migrates it to a {uid, type}
// reference by looking it up by name or uid, so every version lands on the
// same datasource and no board needs __inputs.
const (
	InfluxUID     = "entpipe-influxdb"
	PrometheusUID = "entpipe-prometheus"
	mixedUID      = "-- Mixed --" // Grafana's built-in mixed datasource
)

// profileStyle gives a profile slug its French legend (the bulletin's) and
// a fixed colour, so that a profile looks the same on every board.
func profileStyle(slug string) (label, color string) {
	switch slug {
	case collector.ProfileEleve:
		return "Élèves", "#1f78c1"
	case collector.ProfileParent:
		return "Parents", "#e0752d"
	case collector.ProfileEnseignant:
		return "Enseignants", "#629e51"
	case collector.ProfilePersonnel:
		return "Personnels", "#ba43a9"
	case collector.ProfileInvite:
		return "Invités", "#e5ac0e"
	case collector.ProfileAutre:
		return "Autres", "#8f8f8f"
	case collector.ProfileAnonyme:
		return "Anonymes", "#c4162a"
	}
	panic("BUG: unknown profile " + slug)
}

// department is one département with its French legend.
type department struct{ code, label string }

func departments() []department {
	return []department{{"92", "Hauts-de-Seine (92)"}, {"78", "Yvelines (78)"}}
}

// graphStyle is every visual option of a graph panel. NewGraph's zero values
// draw nothing (no lines, zero width, hidden axes and legend), so each board
// states all of them through one of the constructors below.
type graphStyle struct {
	bars, stack bool
	unit, label string
	min         *float64 // nil: automatic
	max         *float64
}

func ptr[T any](v T) *T { return &v }

func lines(unit, label string) graphStyle { return graphStyle{unit: unit, label: label, min: ptr(0.0)} }
func stackedBars(unit, label string) graphStyle {
	return graphStyle{bars: true, stack: true, unit: unit, label: label, min: ptr(0.0)}
}

// graph builds a graph panel (Grafana ≥ 8 migrates it to time series by
// itself) with explicit lines, bars, axes, legend and tooltip.
func graph(title, description string, s graphStyle, targets ...sdk.Target) *sdk.Panel {
	p := sdk.NewGraph(title)
	p.IsNew = false
	p.Description = &description
	p.Datasource = targetsDatasource(targets)
	g := p.GraphPanel
	g.AliasColors = aliasColors(targets)
	g.Lines, g.Linewidth, g.Fill = !s.bars, 2, 1
	g.Bars, g.Stack, g.Percentage = s.bars, s.stack, false
	if s.bars {
		g.Fill = 10
	}
	g.Points, g.Pointradius, g.SteppedLine = false, 2, false
	g.NullPointMode = "null"
	g.Legend = sdk.Legend{Show: true, Values: s.stack, Total: s.stack}
	g.Tooltip = sdk.Tooltip{Shared: true, ValueType: "individual", Sort: 2}
	g.Xaxis = sdk.Axis{Format: "time", LogBase: 1, Show: true}
	left := sdk.Axis{Format: s.unit, LogBase: 1, Show: true, Label: s.label, Min: floatString(s.min), Max: floatString(s.max)}
	g.Yaxes = []sdk.Axis{left, {Format: "short", LogBase: 1, Show: false}}
	g.Targets = targets
	return p
}

// withThresholds adds saturation lines to a graph: warning then critical.
func withThresholds(p *sdk.Panel, warning, critical float32) *sdk.Panel {
	p.GraphPanel.Thresholds = []sdk.Threshold{
		{Value: warning, ColorMode: "warning", Op: "gt", Fill: true, Line: true, Yaxis: "left"},
		{Value: critical, ColorMode: "critical", Op: "gt", Fill: true, Line: true, Yaxis: "left"},
	}
	return p
}

func floatString(f *float64) *sdk.FloatString {
	if f == nil {
		return nil
	}
	return &sdk.FloatString{Value: *f, Valid: true}
}

// aliasColors gives each profile legend its fixed colour; always a map,
// never null, so the golden shows it.
func aliasColors(targets []sdk.Target) map[string]string {
	colors := map[string]string{}
	for _, slug := range collector.Profiles() {
		label, color := profileStyle(slug)
		for _, t := range targets {
			if t.Alias == label {
				colors[label] = color
			}
		}
	}
	return colors
}

// stat builds a single-value panel reduced with calc over the time range.
func stat(title, description, unit, calc string, t sdk.Target) *sdk.Panel {
	return reducePanel("stat", title, description, unit, map[string]any{
		"colorMode": "value", "graphMode": "none", "justifyMode": "auto", "orientation": "auto", "textMode": "auto",
		"reduceOptions": reduceOptions(calc),
	}, t)
}

// bargauge builds a horizontal bar gauge, one bar per series, reduced with
// calc over the time range.
func bargauge(title, description, unit, calc string, targets ...sdk.Target) *sdk.Panel {
	return reducePanel("bargauge", title, description, unit, map[string]any{
		"displayMode": "basic", "orientation": "horizontal", "showUnfilled": true,
		"reduceOptions": reduceOptions(calc),
	}, targets...)
}

func reduceOptions(calc string) map[string]any {
	return map[string]any{"calcs": []string{calc}, "fields": "", "values": false}
}

// reducePanel writes stat and bar gauge panels as SDK custom panels: the
// SDK's StatPanel has no fieldConfig (without it Grafana applies its default
// thresholds, red above 80) and its BarGaugePanel emits the time-series
// field options with empty values. The field options here are a unit and a
// single neutral threshold step, so no value is coloured as an alarm.
func reducePanel(kind, title, description, unit string, options map[string]any, targets ...sdk.Target) *sdk.Panel {
	p := sdk.NewCustom(title)
	p.Type, p.IsNew, p.Renderer = kind, false, nil
	p.Description = &description
	p.Datasource = targetsDatasource(targets)
	colorMode := "fixed"
	if len(targets) > 1 || strings.HasPrefix(targets[0].Alias, "$tag_") {
		colorMode = "palette-classic"
	}
	*p.CustomPanel = sdk.CustomPanel{
		"targets": targets,
		"options": options,
		"fieldConfig": map[string]any{
			"defaults": map[string]any{
				"unit":       unit,
				"min":        0,
				"color":      map[string]any{"mode": colorMode, "fixedColor": "blue"},
				"thresholds": map[string]any{"mode": "absolute", "steps": []any{map[string]any{"color": "blue", "value": nil}}},
				"mappings":   []any{},
			},
			"overrides": colorOverrides(targets),
		},
	}
	return p
}

// colorOverrides gives profile series their fixed colours, as aliasColors
// does for graph panels.
func colorOverrides(targets []sdk.Target) []any {
	colors := aliasColors(targets)
	out := []any{}
	for _, label := range slices.Sorted(maps.Keys(colors)) {
		out = append(out, map[string]any{
			"matcher":    map[string]any{"id": "byName", "options": label},
			"properties": []any{map[string]any{"id": "color", "value": map[string]any{"mode": "fixed", "fixedColor": colors[label]}}},
		})
	}
	return out
}

// influx is an InfluxQL target in raw mode, as Grafana's query editor saves
// a hand-written query. alias is the legend ($tag_x expands to tag values).
func influx(ref, query, alias string) sdk.Target {
	return sdk.Target{RefID: ref, Datasource: InfluxUID, Query: query, RawQuery: true, Alias: alias, Format: "time_series"}
}

// prom is a PromQL target; legend uses Prometheus' {{label}} templating.
func prom(ref, expr, legend string) sdk.Target {
	return sdk.Target{RefID: ref, Datasource: PrometheusUID, Expr: expr, LegendFormat: legend, Format: "time_series"}
}

// perProfile returns one target per profile, in display order, each filtered
// on its profile slug and named by its French legend. query has one %s verb
// for the slug.
func perProfile(query string) []sdk.Target {
	var out []sdk.Target
	for i, slug := range collector.Profiles() {
		label, _ := profileStyle(slug)
		out = append(out, influx(refID(i), fmt.Sprintf(query, slug), label))
	}
	return out
}

// perDepartment is perProfile for the two départements.
func perDepartment(query string) []sdk.Target {
	var out []sdk.Target
	for i, d := range departments() {
		out = append(out, influx(refID(i), fmt.Sprintf(query, d.code), d.label))
	}
	return out
}

func refID(i int) string { return string(rune('A' + i)) }

// targetsDatasource is the panel datasource: the targets' one, or Mixed.
func targetsDatasource(targets []sdk.Target) any {
	for _, t := range targets[1:] {
		if t.Datasource != targets[0].Datasource {
			return mixedUID
		}
	}
	return targets[0].Datasource
}
