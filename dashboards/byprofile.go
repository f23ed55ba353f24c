package dashboards

import "github.com/grafana-tools/sdk"

// DailyByProfile is "Consultation journalière par profil depuis la rentrée
// scolaire": daily visits stacked by profile for the ENT chosen in $ent,
// from the rentrée of 2 September 2019.
func DailyByProfile() *sdk.Board {
	bd := newBoard("entpipe-consultation-profil", "Consultation journalière par profil depuis la rentrée scolaire", bulletinTags(),
		timeRange{from: "2019-09-01T22:00:00.000Z", to: "2020-07-04T21:59:59.999Z"}, entVariable("ecollege78"))
	bd.add(24, 12, graph("Visites par jour et par profil",
		"Visites commencées chaque jour, empilées par profil. "+defVisit+" "+defProfile+" "+defDays,
		stackedBars("short", "Visites par jour"),
		perProfile(QueryDailyVisitsByProfile)...))
	bd.add(24, 8, bargauge("Visites par profil sur la période",
		"Somme des visites de la période affichée, par profil. "+defVisit+" "+defProfile,
		"short", "sum", perProfile(QueryVisitsByProfileTotal)...))
	return bd.board
}
