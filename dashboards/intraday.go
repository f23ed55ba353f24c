package dashboards

// bulletinTags mark the boards that redraw the spring-2020 bulletin. Their
// fixed ranges are Paris days written as UTC instants, as Grafana stores
// absolute ranges.
func bulletinTags() []string { return []string{"entpipe", "bulletin"} }

// Intraday is "Niveau d'accès à l'ENT sur une journée": visits started, page
// views and open visits per 10 minutes, opening on ENT 92 on 30 March 2020,
// the first Monday of the bulletin. Counts add up over the chosen ENTs;
// visits in progress are drawn per ENT.
func Intraday() (*Board, error) {
	bd := newBoard("entpipe-niveau-acces-journee", "Niveau d'accès à l'ENT sur une journée", bulletinTags(),
		timeRange{from: "2020-03-29T22:00:00.000Z", to: "2020-03-30T21:59:59.999Z"}, siteVariables("ent92")...)
	bd.add(6, 4, statPanel("Visites sur la journée", "Visites des ENT choisis. "+defVisit, unitCount, "sum",
		influx("A", QueryVisitsTotal, "Visites")))
	bd.add(6, 4, statPanel("Pages vues sur la journée", "Pages vues des ENT choisis. "+defPageView, unitCount, "sum",
		influx("A", QueryPageViewsTotal, "Pages vues")))
	bd.add(6, 4, statPanel("Visiteurs uniques du jour", defUnique+" "+defVisitor, unitCount, "sum",
		influx("A", QueryDayUniqueVisitors, "Visiteurs uniques")))
	bd.add(6, 4, statPanel("Pic de visites en cours, par ENT", "Maximum de la journée, pour chaque ENT. "+defOpen, unitCount, "max",
		influx("A", QueryOpenVisitsPeak, "$tag_ent")))
	bd.add(24, 9, timeseriesPanel("Visites commencées, par tranche de 10 minutes",
		"Somme des visites commencées par tranche de 10 minutes (heure de Paris), ENT choisis ensemble. "+defVisit,
		counts("Visites"), influx("A", QueryIntradayVisits, "Visites commencées")))
	bd.add(24, 9, timeseriesPanel("Visites en cours, par ENT",
		"Maximum de chaque tranche de 10 minutes (heure de Paris), pour chaque ENT. "+defOpen,
		counts("Visites en cours"), influx("A", QueryIntradayOpenVisits, "$tag_ent")))
	bd.add(24, 9, timeseriesPanel("Pages vues, par tranche de 10 minutes",
		"Somme des pages vues par tranche de 10 minutes (heure de Paris), ENT choisis ensemble. "+defPageView,
		counts("Pages vues"), influx("A", QueryIntradayPageViews, "Pages vues")))
	return bd.done()
}
