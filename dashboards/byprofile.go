package dashboards

// DailyByProfile is "Consultation journalière par profil depuis la rentrée
// scolaire": daily visits stacked by profile for the chosen ENTs (eCollège
// 78, as in the bulletin, when the board opens), from the rentrée of
// 2 September 2019.
func DailyByProfile() (*Board, error) {
	bd := newBoard("entpipe-consultation-profil", "Consultation journalière par profil depuis la rentrée scolaire", bulletinTags(),
		timeRange{from: "2019-09-01T22:00:00.000Z", to: "2020-07-04T21:59:59.999Z"}, siteVariables("ecollege78")...)
	bd.add(24, 12, timeseriesPanel("Visites par jour et par profil",
		"Visites commencées chaque jour, empilées par profil ; la légende donne le total de la période. "+defVisit+" "+defProfile+" "+defDays,
		stackedBars("Visites par jour"), perProfile(QueryDailyVisitsByProfile)...))
	bd.add(24, 8, barGaugePanel("Visites par profil sur la période",
		"Somme des visites de la période affichée, par profil. "+defVisit+" "+defProfile,
		"sum", perProfile(QueryVisitsByProfileTotal)...))
	return bd.done()
}
