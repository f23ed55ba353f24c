package dashboards

import "github.com/grafana-tools/sdk"

// PipelineHealth is "entpipe — santé de la collecte": entpipe's own metrics
// from Prometheus, to trust that the numbers of the other boards are
// complete: sources up and late, lines by result, spool, InfluxDB writes.
func PipelineHealth() *sdk.Board {
	bd := newBoard("entpipe-sante-collecte", "entpipe — santé de la collecte", []string{"entpipe", "exploitation"}, liveRange())
	bd.add(6, 4, stat("Sources en service", "Nombre de sources dont la dernière lecture a réussi (entpipe_source_up = 1).",
		"short", "lastNotNull", prom("A", PromSourcesUp, "Sources")))
	bd.add(6, 4, stat("Sources en panne", "Nombre de sources dont la dernière lecture a échoué (entpipe_source_up = 0).",
		"short", "lastNotNull", prom("A", PromSourcesDown, "Sources")))
	bd.add(6, 4, stat("Spool disque", "Octets en attente d'écriture dans InfluxDB (entpipe_spool_bytes) ; 0 en temps normal.",
		"bytes", "lastNotNull", prom("A", PromSpoolBytes, "Spool")))
	bd.add(6, 4, stat("Erreurs d'écriture InfluxDB (1 h)", "Erreurs d'écriture InfluxDB de la dernière heure (entpipe_influx_write_errors_total).",
		"short", "lastNotNull", prom("A", PromInfluxErrorsInHour, "Erreurs")))
	bd.add(12, 8, graph("Lignes lues par seconde", "Lignes lues par source et par résultat (parsed, invalid, too_late) : entpipe_lines_total.",
		lines("short", "Lignes/s"), prom("A", PromLinesRate, "{{source}} {{result}}")))
	bd.add(12, 8, withThresholds(graph("Retard des sources", "Maintenant moins l'heure de la dernière ligne lue, par source (entpipe_source_lag_seconds). Seuils : 5 et 15 minutes.",
		lines("s", "Retard"), prom("A", PromSourceLag, "{{source}}")), 300, 900))
	bd.add(12, 8, graph("État des sources", "1 quand la dernière lecture de la source a réussi, 0 sinon (entpipe_source_up).",
		graphStyle{unit: "short", label: "En service", min: ptr(0.0), max: ptr(1.0)}, prom("A", PromSourceUp, "{{source}}")))
	bd.add(12, 8, graph("Écritures InfluxDB", "Points écrits par seconde (entpipe_influx_points_written_total) et erreurs d'écriture par raison (entpipe_influx_write_errors_total).",
		lines("short", "Par seconde"),
		prom("A", PromInfluxPointsRate, "Points écrits"),
		prom("B", PromInfluxErrorsRate, "Erreurs {{reason}}")))
	bd.add(24, 6, graph("Spool disque", "Octets en attente dans le spool disque quand InfluxDB est indisponible (entpipe_spool_bytes).",
		lines("bytes", "Octets"), prom("A", PromSpoolBytes, "Spool")))
	return bd.board
}
