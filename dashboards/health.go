package dashboards

// PipelineHealth is "entpipe — santé de la collecte": entpipe's own metrics
// from Prometheus, to trust that the numbers of the other boards are
// complete: sources up and late, lines by result, spool, InfluxDB writes.
// Per-source charts have table legends: an installation may have dozens of
// sources.
func PipelineHealth() (*Board, error) {
	bd := newBoard("entpipe-sante-collecte", "entpipe — santé de la collecte", []string{"entpipe", "exploitation"}, liveRange())
	bd.add(6, 4, statPanel("Sources en service", "Nombre de sources dont la dernière lecture a réussi (entpipe_source_up = 1).",
		unitCount, "lastNotNull", prom("A", PromSourcesUp, "Sources")))
	bd.add(6, 4, statPanel("Sources en panne", "Nombre de sources dont la dernière lecture a échoué (entpipe_source_up = 0).",
		unitCount, "lastNotNull", prom("A", PromSourcesDown, "Sources")))
	bd.add(6, 4, statPanel("Spool disque", "Octets en attente d'écriture dans InfluxDB (entpipe_spool_bytes) ; 0 en temps normal.",
		"bytes", "lastNotNull", prom("A", PromSpoolBytes, "Spool")))
	bd.add(6, 4, statPanel("Erreurs d'écriture InfluxDB (1 h)", "Erreurs d'écriture InfluxDB de la dernière heure (entpipe_influx_write_errors_total).",
		unitCount, "lastNotNull", prom("A", PromInfluxErrorsInHour, "Erreurs")))
	bd.add(12, 8, timeseriesPanel("Lignes lues par seconde, par résultat",
		"Lignes lues par toutes les sources, par résultat (parsed : lue, invalid : illisible, too_late : trop ancienne) : entpipe_lines_total.",
		counts("Lignes/s"), prom("A", PromLinesByResult, "{{result}}")))
	bd.add(12, 8, timeseriesPanel("Lignes rejetées par seconde, par source",
		"Lignes illisibles ou trop anciennes, par source (entpipe_lines_total hors result=\"parsed\") ; rien en temps normal.",
		counts("Lignes/s"), prom("A", PromLinesRejected, "{{source}}")))
	bd.add(12, 8, timeseriesPanel("Retard des sources", "Maintenant moins l'heure de la ligne la plus récente lue, par source (time() - entpipe_source_newest_event_timestamp_seconds). Seuils : 5 et 15 minutes.",
		lines("s", "Retard").warn(300, 900), prom("A", PromSourceLag, "{{source}}")))
	bd.add(12, 8, timeseriesPanel("État des sources", "1 quand la dernière lecture de la source a réussi, 0 sinon (entpipe_source_up).",
		look{unit: "none", label: "En service", min: ptr(0.0), max: ptr(1.0)}, prom("A", PromSourceUp, "{{source}}")))
	bd.add(12, 8, timeseriesPanel("Écritures InfluxDB", "Points écrits par seconde (entpipe_influx_points_written_total) et erreurs d'écriture par raison (entpipe_influx_write_errors_total).",
		counts("Par seconde"),
		prom("A", PromInfluxPointsRate, "Points écrits"),
		prom("B", PromInfluxErrorsRate, "Erreurs {{reason}}")))
	bd.add(12, 8, timeseriesPanel("Spool disque", "Octets en attente dans le spool disque quand InfluxDB est indisponible (entpipe_spool_bytes).",
		lines("bytes", "Octets"), prom("A", PromSpoolBytes, "Spool")))
	return bd.done()
}
