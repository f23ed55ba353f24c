package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"

	"github.com/entpipe/entpipe/collector"
)

// ServiceUsage is "Usage par service": page views by ENT service and by
// profile, for the chosen ENTs, over the last seven days.
func ServiceUsage() (*Board, error) {
	bd := newBoard("entpipe-usage-services", "Usage par service", []string{"entpipe"},
		timeRange{from: "now-7d", to: "now", refresh: "5m"}, siteVariables("")...)
	bd.add(24, 10, timeseriesPanel("Pages vues par service",
		"Pages vues par service de l'ENT (cahier de textes, messagerie, vie scolaire…), empilées. "+defPageView,
		stackedBars("Pages vues"), influx("A", QueryPageViewsByService, "$tag_service")))
	bd.add(24, 10, timeseriesPanel("Pages vues par profil",
		"Pages vues de tous les services, empilées par profil. "+defPageView+" "+defProfile,
		stackedBars("Pages vues"), perProfile(QueryServicePageViewsByProfile)...))
	bd.add(8, 14, barGaugePanel("Pages vues par service sur la période",
		"Somme des pages vues de la période par service. "+defPageView, "sum",
		influx("A", QueryPageViewsByServiceTotal, "$tag_service")))
	bd.add(16, 14, serviceProfileTable())
	return bd.done()
}

// matrixCorner is the name groupingToMatrix gives the column of row keys:
// "<row field>\<column field>".
const matrixCorner = `service\profile`

// serviceProfileTable is the service × profile view: one row per service,
// one column per profile and a total, sorted by total, with a total row;
// exact figures that stay readable however many services an ENT has.
func serviceProfileTable() *table.PanelBuilder {
	rename := map[string]any{matrixCorner: "Service"}
	order := map[string]any{matrixCorner: 0}
	for i, slug := range collector.Profiles() {
		label, _ := profileStyle(slug)
		rename[slug], order[slug] = label, i+1
	}
	order["Total"] = len(collector.Profiles()) + 1
	return table.NewPanelBuilder().Title("Pages vues par service et par profil").
		Description("Somme des pages vues de la période, une ligne par service, une colonne par profil, triée par total. " + defPageView + " " + defProfile).
		Datasource(influxRef()).WithTarget(influxTable("A", QueryServiceByProfileTable)).
		WithTransformation(dashboard.DataTransformerConfig{Id: "groupingToMatrix", Options: map[string]any{
			"rowField": "service", "columnField": "profile", "valueField": "page_views", "emptyValue": "zero"}}).
		WithTransformation(dashboard.DataTransformerConfig{Id: "calculateField", Options: map[string]any{
			"mode": "reduceRow", "reduce": map[string]any{"reducer": "sum"}, "alias": "Total", "replaceFields": false}}).
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
			"renameByName": rename, "indexByName": order, "excludeByName": map[string]any{}}}).
		Unit(unitCount).Decimals(0).Thresholds(neutral()).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		ShowHeader(true).ShowTypeIcons(false).CellHeight(common.TableCellHeightSm).FrameIndex(0).
		Align(common.FieldTextAlignmentAuto).Inspect(false).
		SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName("Total").Desc(true)}).
		Footer(common.NewTableFooterOptionsBuilder().Show(true).Reducer([]string{"sum"}).CountRows(false))
}
