package dashboards

import "github.com/grafana-tools/sdk"

// liveRange is the range of the operations boards: the last 24 hours,
// refreshed every minute.
func liveRange() timeRange { return timeRange{from: "now-24h", to: "now", refresh: "1m"} }

// ServerLoad is "Charge des serveurs ENT": visits per minute next to the
// configured capacity, then the hosts' CPU, memory, load, network and
// connections and the probes' latency, with saturation thresholds.
func ServerLoad() *sdk.Board {
	bd := newBoard("entpipe-charge-serveurs", "Charge des serveurs ENT", []string{"entpipe", "exploitation"}, liveRange())
	bd.add(18, 9, graph("Visites par minute et capacité",
		"Visites commencées par minute, par ENT (moyenne de l'intervalle d'affichage), et capacité configurée "+
			"ramenée à la minute (capacité journalière / 1440, Prometheus "+MetricCapacity+"). "+defVisit,
		lines("short", "Visites par minute"),
		influx("A", QueryVisitsPerMinute, "Visites/min $tag_ent"),
		prom("B", PromCapacityPerMinute, "Capacité moyenne {{ent}}")))
	bd.add(6, 9, stat("Capacité configurée (visites/jour)",
		"Somme des capacités configurées des ENT, en visites par jour (Prometheus "+MetricCapacity+").",
		"short", "lastNotNull", prom("A", PromCapacityVisitsByDay, "Capacité")))
	bd.add(8, 8, withThresholds(graph("Processeur", "Part du temps processeur occupé, par serveur (node_exporter). Seuils : 80 % et 90 %. "+defLive,
		graphStyle{unit: "percentunit", label: "Utilisation", min: ptr(0.0), max: ptr(1.0)},
		influx("A", QueryCPUUtilization, "$tag_host")), 0.8, 0.9))
	bd.add(8, 8, withThresholds(graph("Mémoire", "Part de la mémoire utilisée, par serveur. Seuils : 85 % et 95 %. "+defLive,
		graphStyle{unit: "percentunit", label: "Utilisation", min: ptr(0.0), max: ptr(1.0)},
		influx("A", QueryMemoryUtilization, "$tag_host")), 0.85, 0.95))
	bd.add(8, 8, withThresholds(graph("Charge par cœur", "Charge moyenne sur 1 minute divisée par le nombre de cœurs. Seuils : 1 et 2. "+defLive,
		lines("short", "Charge / cœur"), influx("A", QueryLoad1PerCore, "$tag_host")), 1, 2))
	bd.add(8, 8, graph("Réseau", "Débit réseau reçu et émis par serveur, en octets par seconde. "+defLive,
		lines("Bps", "Débit"),
		influx("A", QueryNetworkReceive, "$tag_host reçu"),
		influx("B", QueryNetworkTransmit, "$tag_host émis")))
	bd.add(8, 8, graph("Connexions HTTP", "Connexions ouvertes sur le serveur web (page de statut), maximum de l'intervalle. "+defLive,
		lines("short", "Connexions"), influx("A", QueryHTTPConnections, "$tag_host")))
	bd.add(8, 8, graph("Temps de réponse moyen des pages", "Durée moyenne des requêtes de pages (somme des durées / nombre), par ENT. "+defLive,
		lines("s", "Durée"), influx("A", QueryPageDurationMean, "$tag_ent")))
	bd.add(12, 8, withThresholds(graph("Latence des sondes", "Durée maximale des sondes HTTP des URL de l'ENT. Seuils : 2 s et 5 s. "+defLive,
		lines("s", "Durée"), influx("A", QueryProbeDuration, "$tag_target")), 2, 5))
	bd.add(12, 8, graph("Disponibilité des sondes", "Part des sondes HTTP réussies (réponse 2xx/3xx dans le délai). "+defLive,
		graphStyle{unit: "percentunit", label: "Réussite", min: ptr(0.0), max: ptr(1.0)},
		influx("A", QueryProbeSuccess, "$tag_target")))
	return bd.board
}
