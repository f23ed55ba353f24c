package dashboards

// MonthlyVisits is "Évolution du nombre de visites et de pages vues": daily
// visits, page views and unique visitors by département over March 2020.
func MonthlyVisits() (*Board, error) {
	bd := newBoard("entpipe-visites-pages-vues", "Évolution du nombre de visites et de pages vues", bulletinTags(),
		timeRange{from: "2020-02-29T23:00:00.000Z", to: "2020-03-31T21:59:59.999Z"}, siteVariables("")...)
	byDep := "$tag_department"
	bd.add(12, 9, timeseriesPanel("Nombre de visites par jour",
		"Visites commencées chaque jour, par département (ENT choisis du département). "+defVisit+" "+defDays,
		counts("Visites par jour"), influx("A", QueryDailyVisitsByDepartment, byDep)))
	bd.add(12, 9, timeseriesPanel("Nombre de pages vues par jour",
		"Pages vues chaque jour, par département. "+defPageView+" "+defDays,
		counts("Pages vues par jour"), influx("A", QueryDailyPageViewsByDepartment, byDep)))
	bd.add(12, 9, timeseriesPanel("Visiteurs uniques par jour",
		"Visiteurs uniques de chaque jour, tous profils, par département. "+defUnique+" "+defVisitor,
		counts("Visiteurs uniques"), influx("A", QueryDailyUniqueVisitorsByDepartment, byDep)))
	bd.add(12, 9, statPanel("Visiteurs uniques du mois, par département",
		"Visiteurs distincts du mois civil (heure de Paris), tous profils ; compte exact du mois, pas une somme des jours. "+defVisitor,
		unitCount, "lastNotNull", influx("A", QueryMonthUniqueVisitorsByDepartment, byDep)))
	return bd.done()
}
