package dashboards

import "github.com/grafana-tools/sdk"

// Enseigno is "Enseigno — soutien scolaire en ligne": activated accounts,
// sessions, tutoring hours, course sheets and exercises, in total and by
// discipline, opening on February–March 2020 when usage doubled.
func Enseigno() *sdk.Board {
	bd := newBoard("entpipe-enseigno", "Enseigno — soutien scolaire en ligne", bulletinTags(),
		timeRange{from: "2020-01-31T23:00:00.000Z", to: "2020-03-31T21:59:59.999Z"})
	accounts := influx("A", QueryEnseignoActivatedAccounts, "Comptes activés")
	sessions := influx("A", QueryEnseignoSessions, "Sessions")
	hours := influx("A", QueryEnseignoTutoringHours, "Heures de soutien")
	sheets := influx("A", QueryEnseignoCourseSheets, "Fiches de cours")
	exercises := influx("A", QueryEnseignoExercises, "Exercices")
	bd.add(5, 4, stat("Comptes activés", "Nombre de comptes Enseigno activés au dernier jour de la période, deux départements. "+defEnseigno,
		"short", "lastNotNull", accounts))
	bd.add(5, 4, stat("Sessions", "Sessions de la période (somme des jours). "+defEnseigno, "short", "sum", sessions))
	bd.add(5, 4, stat("Heures de soutien", "Heures de soutien scolaire en ligne de la période. "+defEnseigno, "h", "sum", hours))
	bd.add(5, 4, stat("Fiches de cours consultées", "Fiches de cours consultées dans la période. "+defEnseigno, "short", "sum", sheets))
	bd.add(4, 4, stat("Exercices réalisés", "Exercices réalisés dans la période. "+defEnseigno, "short", "sum", exercises))
	bd.add(12, 9, graph("Comptes activés", "Comptes activés, valeur de chaque jour, deux départements. "+defEnseigno,
		lines("short", "Comptes"), accounts))
	bd.add(12, 9, graph("Sessions par jour", "Sessions de chaque jour, deux départements. "+defEnseigno,
		stackedBars("short", "Sessions"), sessions))
	bd.add(12, 9, graph("Heures de soutien par jour", "Heures de soutien de chaque jour. "+defEnseigno,
		stackedBars("h", "Heures"), hours))
	sheets.RefID = "B"
	bd.add(12, 9, graph("Fiches de cours et exercices par jour", "Fiches de cours consultées et exercices réalisés chaque jour. "+defEnseigno,
		lines("short", "Nombre"), exercises, sheets))
	byDiscipline := "Somme de la période par discipline (hors total « all »). " + defEnseigno
	bd.add(8, 10, bargauge("Sessions par discipline", byDiscipline, "short", "sum",
		influx("A", QuerySessionsByDiscipline, "$tag_discipline")))
	bd.add(8, 10, bargauge("Heures de soutien par discipline", byDiscipline, "h", "sum",
		influx("A", QueryTutoringHoursByDiscipline, "$tag_discipline")))
	bd.add(8, 10, bargauge("Exercices par discipline", byDiscipline, "short", "sum",
		influx("A", QueryExercisesByDiscipline, "$tag_discipline")))
	return bd.board
}
