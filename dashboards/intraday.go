package dashboards

import "github.com/grafana-tools/sdk"

// bulletinTags mark the boards that redraw the spring-2020 bulletin. Their
// fixed ranges are Paris days written as UTC instants, as Grafana stores
// absolute ranges.
func bulletinTags() []string { return []string{"entpipe", "bulletin"} }

// Intraday is "Niveau d'accès à l'ENT sur une journée": visits started, page
// views and open visits per 10 minutes for one ENT, opening on ENT 92 on
// 30 March 2020, the first Monday of the bulletin.
func Intraday() *sdk.Board {
	bd := newBoard("entpipe-niveau-acces-journee", "Niveau d'accès à l'ENT sur une journée", bulletinTags(),
		timeRange{from: "2020-03-29T22:00:00.000Z", to: "2020-03-30T21:59:59.999Z"}, entVariable("ent92"))
	bd.add(6, 4, stat("Visites sur la journée", defVisit, "short", "sum", influx("A", QueryVisitsTotal, "Visites")))
	bd.add(6, 4, stat("Pages vues sur la journée", defPageView, "short", "sum", influx("A", QueryPageViewsTotal, "Pages vues")))
	bd.add(6, 4, stat("Visiteurs uniques du jour", defUnique+" "+defVisitor, "short", "sum",
		influx("A", QueryDayUniqueVisitors, "Visiteurs uniques")))
	bd.add(6, 4, stat("Pic de visites en cours", defOpen, "short", "max", influx("A", QueryOpenVisitsPeak, "Visites en cours")))
	bd.add(24, 10, graph("Visites commencées et visites en cours, par tranche de 10 minutes",
		"Visites commencées : somme par tranche de 10 minutes (heure de Paris). Visites en cours : maximum de la tranche. "+defVisit+" "+defOpen,
		lines("short", "Visites"),
		influx("A", QueryIntradayVisits, "Visites commencées"),
		influx("B", QueryIntradayOpenVisits, "Visites en cours")))
	bd.add(24, 10, graph("Pages vues, par tranche de 10 minutes",
		"Somme des pages vues par tranche de 10 minutes (heure de Paris). "+defPageView,
		lines("short", "Pages vues"),
		influx("A", QueryIntradayPageViews, "Pages vues")))
	return bd.board
}
