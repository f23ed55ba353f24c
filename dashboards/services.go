package dashboards

import "github.com/grafana-tools/sdk"

// byService names each bar "<service> — <profile>" for a per-profile query
// grouped by service.
func byService(targets []sdk.Target) []sdk.Target {
	for i := range targets {
		targets[i].Alias = "$tag_service — " + targets[i].Alias
	}
	return targets
}

// ServiceUsage is "Usage par service": page views by ENT service and by
// profile, for the ENT chosen in $ent, over the last seven days.
func ServiceUsage() *sdk.Board {
	bd := newBoard("entpipe-usage-services", "Usage par service", []string{"entpipe"},
		timeRange{from: "now-7d", to: "now", refresh: "5m"}, entVariable("ent92"))
	bd.add(24, 10, graph("Pages vues par service",
		"Pages vues par service de l'ENT (cahier de textes, messagerie, vie scolaire…), empilées. "+defPageView,
		stackedBars("short", "Pages vues"), influx("A", QueryPageViewsByService, "$tag_service")))
	bd.add(24, 10, graph("Pages vues par profil",
		"Pages vues de tous les services, empilées par profil. "+defPageView+" "+defProfile,
		stackedBars("short", "Pages vues"), perProfile(QueryServicePageViewsByProfile)...))
	bd.add(12, 12, bargauge("Pages vues par service sur la période",
		"Somme des pages vues de la période par service. "+defPageView, "short", "sum",
		influx("A", QueryPageViewsByServiceTotal, "$tag_service")))
	bd.add(12, 12, bargauge("Pages vues par service et par profil",
		"Somme des pages vues de la période, par service puis par profil. "+defPageView+" "+defProfile, "short", "sum",
		byService(perProfile(QueryServiceProfilePageViewTotal))...))
	return bd.board
}
