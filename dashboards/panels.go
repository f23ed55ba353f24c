package dashboards

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/entpipe/entpipe/collector"
)

// unitCount is Grafana's "locale" unit: an exact figure with the reader's
// digit grouping (1 796, never "1.80 K").
const unitCount = "locale"

// target is one query of a panel with the legend it draws.
type target struct {
	query    cog.Builder[variants.Dataquery]
	ds       common.DataSourceRef
	legend   string
	interval string // the smallest $__interval the query may get; "": the datasource's
}

func influx(ref, query, alias string) target {
	return target{query: influxSeries(ref, query, alias), ds: influxRef(), legend: alias, interval: minInterval(query)}
}

// minInterval is the smallest $__interval of an InfluxQL query that reads
// a breakdown (stored by collector.BreakdownBucket) by $__interval, else ""
// (the datasource's, one minute). Below ten minutes an interval would draw
// each block as one full interval and empty ones; and Grafana's steps just
// above ten minutes include 15m, which holds one block and two by turns.
// From twice the block (20m) up, every step Grafana picks (20m, 30m, 1h…)
// is a whole number of blocks.
func minInterval(query string) string {
	if !strings.Contains(query, "$__interval") {
		return ""
	}
	for _, m := range collector.BreakdownMeasurements() {
		if strings.Contains(query, `FROM "`+m+`"`) {
			return fmt.Sprintf("%dm", 2*collector.BreakdownBucket/time.Minute)
		}
	}
	return ""
}

// prom is a PromQL target; legend uses Prometheus' {{label}} templating.
func prom(ref, expr, legend string) target {
	q := prometheus.NewDataqueryBuilder().RefId(ref).Datasource(promRef()).Expr(expr).LegendFormat(legend).
		Range().Format(prometheus.PromQueryFormatTimeSeries)
	return target{query: q, ds: promRef(), legend: legend}
}

func queries(targets []target) []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], len(targets))
	for i, t := range targets {
		out[i] = t.query
	}
	return out
}

// panelDatasource is the targets' datasource, or Mixed.
func panelDatasource(targets []target) common.DataSourceRef {
	for _, t := range targets[1:] {
		if !t.ds.Equals(targets[0].ds) {
			return mixedRef()
		}
	}
	return targets[0].ds
}

// perProfile returns one target per profile, in display order, each
// filtered on its profile slug and named by its French legend. query has
// one %s verb for the slug.
func perProfile(query string) []target {
	var out []target
	for i, slug := range collector.Profiles() {
		label, _ := profileStyle(slug)
		out = append(out, influx(refID(i), fmt.Sprintf(query, slug), label))
	}
	return out
}

func refID(i int) string { return string(rune('A' + i)) }

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

// withSeriesOverrides gives a panel's series what the query cannot: fixed
// colours for the profiles, French names for the départements (their series
// are named by the code, $tag_department).
func withSeriesOverrides[B interface {
	WithOverride(dashboard.MatcherConfig, []dashboard.DynamicConfigValue) B
}](b B, targets []target) B {
	byName := func(name string) dashboard.MatcherConfig { return dashboard.MatcherConfig{Id: "byName", Options: name} }
	for _, slug := range collector.Profiles() {
		label, color := profileStyle(slug)
		for _, t := range targets {
			if t.legend == label {
				b = b.WithOverride(byName(label), []dashboard.DynamicConfigValue{
					{Id: "color", Value: map[string]any{"mode": "fixed", "fixedColor": color}}})
			}
		}
	}
	for _, t := range targets {
		if t.legend == "$tag_department" {
			for _, d := range departments() {
				b = b.WithOverride(byName(d.code), []dashboard.DynamicConfigValue{{Id: "displayName", Value: d.label}})
			}
			break
		}
	}
	return b
}

// look is every visual choice of a time-series panel. Each board states it
// through one of the constructors below.
type look struct {
	unit, label string   // Grafana unit id; French axis label
	bars, stack bool     // daily bars, stacked series
	min, max    *float64 // nil: automatic
	// gaps connects missing samples up to this long (sparse infra samples
	// over a day would draw as dots); a longer gap, a collector down,
	// stays visible. 0: nulls are gaps.
	gaps       float64
	thresholds []float64 // warning, critical: drawn as lines and areas
}

func lines(unit, label string) look { return look{unit: unit, label: label, min: ptr(0.0)} }

// counts are lines of exact figures.
func counts(label string) look { return lines(unitCount, label) }

func stackedBars(label string) look {
	return look{bars: true, stack: true, unit: unitCount, label: label, min: ptr(0.0)}
}

// dailyBars are one bar a day of a single series.
func dailyBars(label string) look {
	return look{bars: true, unit: unitCount, label: label, min: ptr(0.0)}
}

func ratio(label string) look {
	return look{unit: "percentunit", label: label, min: ptr(0.0), max: ptr(1.0)}
}

func (l look) sparse() look { l.gaps = float64(time.Hour.Milliseconds()); return l }
func (l look) warn(warning, critical float64) look {
	l.thresholds = []float64{warning, critical}
	return l
}

// timeseriesPanel draws targets over time.
func timeseriesPanel(title, description string, l look, targets ...target) *timeseries.PanelBuilder {
	legend := common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).
		Placement(common.LegendPlacementBottom).Calcs([]string{})
	if l.stack {
		legend.Calcs([]string{"sum"}) // the period's total of each profile, as the bulletin gives it
	}
	// When a target draws one series per tag or label value, their number
	// is the installation's: the legend is then a table at the right, which
	// scrolls inside the panel instead of overflowing it.
	if slices.ContainsFunc(targets, target.many) {
		legend.DisplayMode(common.LegendDisplayModeTable).Placement(common.LegendPlacementRight).
			Calcs([]string{"mean", "max"}).SortBy("Max").SortDesc(true)
	}
	p := timeseries.NewPanelBuilder().Title(title).Description(description).
		Datasource(panelDatasource(targets)).Targets(queries(targets)).
		Unit(l.unit).AxisLabel(l.label).AxisPlacement(common.AxisPlacementAuto).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdPaletteClassic)).
		Legend(legend).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending)).
		ShowPoints(common.VisibilityModeNever).LineInterpolation(common.LineInterpolationLinear)
	if l.bars {
		// A day's bar covers its day: buckets are stamped with their start.
		p.DrawStyle(common.GraphDrawStyleBars).BarAlignment(common.BarAlignmentAfter).FillOpacity(80).LineWidth(1)
	} else {
		p.DrawStyle(common.GraphDrawStyleLine).FillOpacity(10).LineWidth(2)
	}
	stacking := common.StackingModeNone
	if l.stack {
		stacking = common.StackingModeNormal
	}
	p.Stacking(common.NewStackingConfigBuilder().Mode(stacking).Group("A"))
	for _, t := range targets {
		if t.interval != "" {
			p.Interval(t.interval)
		}
	}
	if l.gaps > 0 {
		p.SpanNulls(common.BoolOrFloat64{Float64: &l.gaps})
	} else {
		p.SpanNulls(common.BoolOrFloat64{Bool: ptr(false)})
	}
	if l.min != nil {
		p.Min(*l.min)
	}
	if l.max != nil {
		p.Max(*l.max)
	}
	steps := []dashboard.Threshold{{Color: "green"}}
	style := common.GraphThresholdsStyleModeOff
	if len(l.thresholds) == 2 {
		steps = append(steps, dashboard.Threshold{Value: &l.thresholds[0], Color: "orange"},
			dashboard.Threshold{Value: &l.thresholds[1], Color: "red"})
		style = common.GraphThresholdsStyleModeLineAndArea
	}
	p.Thresholds(dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(style))
	return withSeriesOverrides(p, targets)
}

// neutral is a single threshold step: stat and bar gauge values are
// figures, never coloured as an alarm.
func neutral() *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).
		Steps([]dashboard.Threshold{{Color: "blue"}})
}

// colors is fixed blue for one series, the palette (and the profile
// colours of withSeriesOverrides) for several.
func colors(targets []target) *dashboard.FieldColorBuilder {
	if len(targets) > 1 || targets[0].many() {
		return dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdPaletteClassic)
	}
	return dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdFixed).FixedColor("blue")
}

// many says whether the target draws one series per tag or label value.
func (t target) many() bool {
	return strings.HasPrefix(t.legend, "$tag_") || strings.Contains(t.legend, "{{")
}

func reduce(calc string) *common.ReduceDataOptionsBuilder {
	return common.NewReduceDataOptionsBuilder().Calcs([]string{calc}).Values(false).Fields("")
}

// statPanel shows the range reduced with calc, one value per series, as an
// exact figure with unit (unitCount for counts).
func statPanel(title, description, unit, calc string, t target) *stat.PanelBuilder {
	text := common.BigValueTextModeValue
	if t.many() {
		text = common.BigValueTextModeValueAndName
	}
	p := stat.NewPanelBuilder().Title(title).Description(description).
		Datasource(t.ds).WithTarget(t.query).
		Unit(unit).Thresholds(neutral()).ColorScheme(colors([]target{t})).
		ReduceOptions(reduce(calc)).GraphMode(common.BigValueGraphModeNone).ColorMode(common.BigValueColorModeValue).
		JustifyMode(common.BigValueJustifyModeAuto).TextMode(text).Orientation(common.VizOrientationAuto).
		WideLayout(true).ShowPercentChange(false).PercentChangeColorMode(common.PercentChangeColorModeStandard)
	if unit == unitCount {
		p.Decimals(0)
	}
	return withSeriesOverrides(p, []target{t})
}

// barGaugePanel is one horizontal bar per series, reduced with calc over
// the range, labelled with its exact figure.
func barGaugePanel(title, description, calc string, targets ...target) *bargauge.PanelBuilder {
	p := bargauge.NewPanelBuilder().Title(title).Description(description).
		Datasource(panelDatasource(targets)).Targets(queries(targets)).
		Unit(unitCount).Decimals(0).Min(0).Thresholds(neutral()).ColorScheme(colors(targets)).
		ReduceOptions(reduce(calc)).Orientation(common.VizOrientationHorizontal).
		DisplayMode(common.BarGaugeDisplayModeBasic).ValueMode(common.BarGaugeValueModeText).
		NamePlacement(common.BarGaugeNamePlacementTop).ShowUnfilled(true).Sizing(common.BarGaugeSizingAuto).
		MinVizWidth(8).MinVizHeight(16).MaxVizHeight(300).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(false).DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).Calcs([]string{}))
	return withSeriesOverrides(p, targets)
}
