package dashboards

// Enseigno is "Enseigno — soutien scolaire en ligne": activated accounts,
// sessions, tutoring hours, course sheets and exercises, in total and by
// discipline, for the chosen départements, opening on February–March 2020
// when usage doubled. Hours are shown as hours, never converted to days.
func Enseigno() (*Board, error) {
	deps := variable("department", "Département", "Départements dont les exports Enseigno sont comptés.", VarEnseignoDepartments, "")
	bd := newBoard("entpipe-enseigno", "Enseigno — soutien scolaire en ligne", bulletinTags(),
		timeRange{from: "2020-01-31T23:00:00.000Z", to: "2020-03-31T21:59:59.999Z"}, deps)
	accounts := influx("A", QueryEnseignoActivatedAccounts, "Comptes activés")
	sessions := influx("A", QueryEnseignoSessions, "Sessions")
	hours := influx("A", QueryEnseignoTutoringHours, "Heures de soutien")
	sheets := influx("B", QueryEnseignoCourseSheets, "Fiches de cours")
	exercises := influx("A", QueryEnseignoExercises, "Exercices")
	bd.add(5, 4, statPanel("Comptes activés", "Comptes Enseigno activés au dernier jour de la période, départements choisis. "+defEnseigno,
		unitCount, "lastNotNull", accounts))
	bd.add(5, 4, statPanel("Sessions", "Sessions de la période (somme des jours). "+defEnseigno, unitCount, "sum", sessions))
	bd.add(5, 4, statPanel("Heures de soutien", "Heures de soutien scolaire en ligne de la période, en heures. "+defEnseigno,
		unitCount, "sum", hours))
	bd.add(5, 4, statPanel("Fiches de cours consultées", "Fiches de cours consultées dans la période. "+defEnseigno, unitCount, "sum",
		influx("A", QueryEnseignoCourseSheets, "Fiches de cours")))
	bd.add(4, 4, statPanel("Exercices réalisés", "Exercices réalisés dans la période. "+defEnseigno, unitCount, "sum", exercises))
	bd.add(12, 9, timeseriesPanel("Comptes activés", "Comptes activés, niveau de chaque jour, départements choisis. "+defEnseigno,
		counts("Comptes"), accounts))
	bd.add(12, 9, timeseriesPanel("Sessions par jour", "Sessions de chaque jour, départements choisis. "+defEnseigno,
		dailyBars("Sessions"), sessions))
	bd.add(12, 9, timeseriesPanel("Heures de soutien par jour", "Heures de soutien de chaque jour, en heures. "+defEnseigno,
		dailyBars("Heures"), hours))
	bd.add(12, 9, timeseriesPanel("Fiches de cours et exercices par jour", "Fiches de cours consultées et exercices réalisés chaque jour. "+defEnseigno,
		counts("Nombre"), exercises, sheets))
	byDiscipline := "Somme de la période par discipline (hors total « all »). " + defEnseigno
	bd.add(8, 10, barGaugePanel("Sessions par discipline", byDiscipline, "sum",
		influx("A", QuerySessionsByDiscipline, "$tag_discipline")))
	bd.add(8, 10, barGaugePanel("Heures de soutien par discipline", "En heures. "+byDiscipline, "sum",
		influx("A", QueryTutoringHoursByDiscipline, "$tag_discipline")))
	bd.add(8, 10, barGaugePanel("Exercices par discipline", byDiscipline, "sum",
		influx("A", QueryExercisesByDiscipline, "$tag_discipline")))
	return bd.done()
}
