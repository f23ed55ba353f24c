package dashboards

import "github.com/entpipe/entpipe/collector"

// liveRange is the range of the operations boards: the last 24 hours,
// refreshed every minute.
func liveRange() timeRange { return timeRange{from: "now-24h", to: "now", refresh: "1m"} }

// ServerLoad is "Charge des serveurs ENT": visits per minute next to the
// configured capacity, then the hosts' CPU, memory, load, network and
// connections and the probes' latency, with saturation thresholds, for the
// chosen ENTs. Host samples may be minutes apart: short gaps are bridged.
func ServerLoad() (*Board, error) {
	bd := newBoard("entpipe-charge-serveurs", "Charge des serveurs ENT", []string{"entpipe", "exploitation"}, liveRange(), siteVariables("")...)
	bd.add(18, 9, timeseriesPanel("Visites par minute et capacité",
		"Visites commencées par minute, par ENT (moyenne de l'intervalle d'affichage), et capacité configurée "+
			"ramenée à la minute (capacité journalière / 1440, Prometheus "+collector.MetricCapacityVisitsPerDay+"). "+defVisit,
		counts("Visites par minute"),
		influx("A", QueryVisitsPerMinute, "Visites/min $tag_ent"),
		prom("B", PromCapacityPerMinute, "Capacité {{ent}}")))
	bd.add(6, 9, statPanel("Capacité configurée (visites par jour)",
		"Somme des capacités configurées des ENT choisis, en visites par jour (Prometheus "+collector.MetricCapacityVisitsPerDay+").",
		unitCount, "lastNotNull", prom("A", PromCapacityVisitsByDay, "Capacité")))
	host := "$tag_host"
	bd.add(8, 8, timeseriesPanel("Processeur", "Part du temps processeur occupé, par serveur (node_exporter). Seuils : 80 % et 90 %. "+defLive,
		ratio("Utilisation").sparse().warn(0.8, 0.9), influx("A", QueryCPUUtilization, host)))
	bd.add(8, 8, timeseriesPanel("Mémoire", "Part de la mémoire utilisée, par serveur. Seuils : 85 % et 95 %. "+defLive,
		ratio("Utilisation").sparse().warn(0.85, 0.95), influx("A", QueryMemoryUtilization, host)))
	bd.add(8, 8, timeseriesPanel("Charge par cœur", "Charge moyenne sur 1 minute divisée par le nombre de cœurs. Seuils : 1 et 2. "+defLive,
		lines("none", "Charge / cœur").sparse().warn(1, 2), influx("A", QueryLoad1PerCore, host)))
	bd.add(8, 8, timeseriesPanel("Réseau", "Débit réseau reçu et émis par serveur, en octets par seconde. "+defLive,
		lines("Bps", "Débit").sparse(),
		influx("A", QueryNetworkReceive, "$tag_host reçu"),
		influx("B", QueryNetworkTransmit, "$tag_host émis")))
	bd.add(8, 8, timeseriesPanel("Connexions HTTP", "Connexions ouvertes sur le serveur web (page de statut), maximum de l'intervalle. "+defLive,
		counts("Connexions").sparse(), influx("A", QueryHTTPConnections, host)))
	bd.add(8, 8, timeseriesPanel("Temps de réponse moyen des pages", "Durée moyenne des requêtes de pages (somme des durées / nombre), par ENT. "+defLive,
		lines("s", "Durée").sparse(), influx("A", QueryPageDurationMean, "$tag_ent")))
	bd.add(12, 8, timeseriesPanel("Latence des sondes", "Durée maximale des sondes HTTP des URL de l'ENT. Seuils : 2 s et 5 s. "+defLive,
		lines("s", "Durée").sparse().warn(2, 5), influx("A", QueryProbeDuration, "$tag_target")))
	bd.add(12, 8, timeseriesPanel("Disponibilité des sondes", "Part des sondes HTTP réussies (réponse 2xx/3xx dans le délai). "+defLive,
		ratio("Réussite").sparse(), influx("A", QueryProbeSuccess, "$tag_target")))
	return bd.done()
}
