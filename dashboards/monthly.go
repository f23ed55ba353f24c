package dashboards

import "github.com/grafana-tools/sdk"

// MonthlyVisits is "Évolution du nombre de visites et de pages vues": daily
// visits, page views and unique visitors of both départements over March
// 2020.
func MonthlyVisits() *sdk.Board {
	bd := newBoard("entpipe-visites-pages-vues", "Évolution du nombre de visites et de pages vues", bulletinTags(),
		timeRange{from: "2020-02-29T23:00:00.000Z", to: "2020-03-31T21:59:59.999Z"})
	bd.add(12, 9, graph("Nombre de visites par jour",
		"Visites commencées chaque jour, par département (tous ENT du département). "+defVisit+" "+defDays,
		lines("short", "Visites par jour"), perDepartment(QueryDailyVisitsByDepartment)...))
	bd.add(12, 9, graph("Nombre de pages vues par jour",
		"Pages vues chaque jour, par département. "+defPageView+" "+defDays,
		lines("short", "Pages vues par jour"), perDepartment(QueryDailyPageViewsByDepartment)...))
	bd.add(12, 9, graph("Visiteurs uniques par jour",
		"Visiteurs uniques de chaque jour, tous profils, par département. "+defUnique+" "+defVisitor,
		lines("short", "Visiteurs uniques"), perDepartment(QueryDailyUniqueVisitorsByDepartment)...))
	months := perDepartment(QueryMonthUniqueVisitorsByDepartment)
	desc := "Visiteurs distincts du mois civil (heure de Paris), tous profils ; compte exact du mois, pas une somme des jours. " + defVisitor
	bd.add(6, 9, stat("Visiteurs uniques du mois — "+departments()[0].label, desc, "short", "lastNotNull", months[0]))
	bd.add(6, 9, stat("Visiteurs uniques du mois — "+departments()[1].label, desc, "short", "lastNotNull", months[1]))
	return bd.board
}
