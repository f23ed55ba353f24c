package dashboards

// Every query of every board, as a named constant: one place to review them,
// and what the integration tests run against a real influxd and promtool.
// InfluxQL runs on InfluxDB 1.8, and on 2.x through a DBRP mapping. Grafana
// expands the board variables, $timeFilter, $__interval and $__interval_ms
// before sending them. Every panel query ends with tz('Europe/Paris') so
// that days are Paris days (23 h on 2020-03-29) and timestamps are Paris
// midnights.
//
// $department and $ent are multi-value variables with "All": Grafana
// writes their selection as a regular expression alternative, (92|78),
// hence the /^$department$/ matches. A %s verb is the profile slug
// (perProfile); each target gets its own filled-in copy.

// The filters of the board variables.
const (
	onSite       = `"department" =~ /^$department$/ AND "ent" =~ /^$ent$/`
	onDepartment = `"department" =~ /^$department$/`
)

// The variables' own queries: the départements and ENTs InfluxDB knows,
// the ENTs narrowed to the chosen départements.
const (
	VarDepartments         = `SHOW TAG VALUES FROM "ent_traffic" WITH KEY = "department"`
	VarENTs                = `SHOW TAG VALUES FROM "ent_traffic" WITH KEY = "ent" WHERE ` + onDepartment
	VarEnseignoDepartments = `SHOW TAG VALUES FROM "enseigno_usage" WITH KEY = "department"`
)

// Board "Niveau d'accès à l'ENT sur une journée" (per 10 minutes). Counts
// add up over the chosen ENTs; visits in progress are a level, shown per ENT.
const (
	QueryIntradayVisits     = `SELECT sum("visits") FROM "ent_traffic" WHERE ` + onSite + ` AND $timeFilter GROUP BY time(10m) fill(0) tz('Europe/Paris')`
	QueryIntradayPageViews  = `SELECT sum("page_views") FROM "ent_traffic" WHERE ` + onSite + ` AND $timeFilter GROUP BY time(10m) fill(0) tz('Europe/Paris')`
	QueryIntradayOpenVisits = `SELECT max("open_visits") FROM "ent_active" WHERE ` + onSite + ` AND $timeFilter GROUP BY time(10m), "ent" fill(null) tz('Europe/Paris')`
	QueryVisitsTotal        = `SELECT sum("visits") FROM "ent_traffic" WHERE ` + onSite + ` AND $timeFilter tz('Europe/Paris')`
	QueryPageViewsTotal     = `SELECT sum("page_views") FROM "ent_traffic" WHERE ` + onSite + ` AND $timeFilter tz('Europe/Paris')`
	QueryOpenVisitsPeak     = `SELECT max("open_visits") FROM "ent_active" WHERE ` + onSite + ` AND $timeFilter GROUP BY "ent" tz('Europe/Paris')`
	QueryDayUniqueVisitors  = `SELECT sum("unique_visitors") FROM "ent_visitors" WHERE ` + onSite + ` AND "period" = 'day' AND $timeFilter tz('Europe/Paris')`
)

// Board "Consultation journalière par profil depuis la rentrée scolaire".
const (
	QueryDailyVisitsByProfile = `SELECT sum("visits") FROM "ent_traffic" WHERE ` + onSite + ` AND "profile" = '%s' AND $timeFilter GROUP BY time(1d) fill(0) tz('Europe/Paris')`
	QueryVisitsByProfileTotal = `SELECT sum("visits") FROM "ent_traffic" WHERE ` + onSite + ` AND "profile" = '%s' AND $timeFilter tz('Europe/Paris')`
)

// Board "Évolution du nombre de visites et de pages vues", by département.
const (
	QueryDailyVisitsByDepartment         = `SELECT sum("visits") FROM "ent_traffic" WHERE ` + onSite + ` AND $timeFilter GROUP BY time(1d), "department" fill(0) tz('Europe/Paris')`
	QueryDailyPageViewsByDepartment      = `SELECT sum("page_views") FROM "ent_traffic" WHERE ` + onSite + ` AND $timeFilter GROUP BY time(1d), "department" fill(0) tz('Europe/Paris')`
	QueryDailyUniqueVisitorsByDepartment = `SELECT sum("unique_visitors") FROM "ent_visitors" WHERE ` + onSite + ` AND "period" = 'day' AND $timeFilter GROUP BY time(1d), "department" fill(0) tz('Europe/Paris')`
	QueryMonthUniqueVisitorsByDepartment = `SELECT sum("unique_visitors") FROM "ent_visitors" WHERE ` + onSite + ` AND "period" = 'month' AND $timeFilter GROUP BY "department" tz('Europe/Paris')`
)

// Board "Enseigno — soutien scolaire en ligne". Daily values; discipline
// "all" holds each département's totals (accounts: the day's level), the
// other disciplines the breakdown.
const (
	QueryEnseignoActivatedAccounts = `SELECT sum("activated_accounts") FROM "enseigno_usage" WHERE "discipline" = 'all' AND ` + onDepartment + ` AND $timeFilter GROUP BY time(1d) fill(none) tz('Europe/Paris')`
	QueryEnseignoSessions          = `SELECT sum("sessions") FROM "enseigno_usage" WHERE "discipline" = 'all' AND ` + onDepartment + ` AND $timeFilter GROUP BY time(1d) fill(none) tz('Europe/Paris')`
	QueryEnseignoTutoringHours     = `SELECT sum("tutoring_hours") FROM "enseigno_usage" WHERE "discipline" = 'all' AND ` + onDepartment + ` AND $timeFilter GROUP BY time(1d) fill(none) tz('Europe/Paris')`
	QueryEnseignoCourseSheets      = `SELECT sum("course_sheets") FROM "enseigno_usage" WHERE "discipline" = 'all' AND ` + onDepartment + ` AND $timeFilter GROUP BY time(1d) fill(none) tz('Europe/Paris')`
	QueryEnseignoExercises         = `SELECT sum("exercises") FROM "enseigno_usage" WHERE "discipline" = 'all' AND ` + onDepartment + ` AND $timeFilter GROUP BY time(1d) fill(none) tz('Europe/Paris')`
	QuerySessionsByDiscipline      = `SELECT sum("sessions") FROM "enseigno_usage" WHERE "discipline" != 'all' AND ` + onDepartment + ` AND $timeFilter GROUP BY "discipline" tz('Europe/Paris')`
	QueryTutoringHoursByDiscipline = `SELECT sum("tutoring_hours") FROM "enseigno_usage" WHERE "discipline" != 'all' AND ` + onDepartment + ` AND $timeFilter GROUP BY "discipline" tz('Europe/Paris')`
	QueryExercisesByDiscipline     = `SELECT sum("exercises") FROM "enseigno_usage" WHERE "discipline" != 'all' AND ` + onDepartment + ` AND $timeFilter GROUP BY "discipline" tz('Europe/Paris')`
)

// Board "Charge des serveurs ENT" (live, $__interval buckets).
const (
	QueryVisitsPerMinute   = `SELECT sum("visits") / ($__interval_ms / 60000) FROM "ent_traffic" WHERE ` + onSite + ` AND $timeFilter GROUP BY time($__interval), "ent" fill(0) tz('Europe/Paris')`
	QueryPageDurationMean  = `SELECT sum("sum_seconds") / sum("count") FROM "ent_request_duration" WHERE ` + onSite + ` AND "class" = 'page' AND $timeFilter GROUP BY time($__interval), "ent" fill(null) tz('Europe/Paris')`
	QueryCPUUtilization    = `SELECT mean("cpu_utilization") FROM "infra_load" WHERE ` + onSite + ` AND $timeFilter GROUP BY time($__interval), "host" fill(null) tz('Europe/Paris')`
	QueryMemoryUtilization = `SELECT mean("memory_utilization") FROM "infra_load" WHERE ` + onSite + ` AND $timeFilter GROUP BY time($__interval), "host" fill(null) tz('Europe/Paris')`
	QueryLoad1PerCore      = `SELECT mean("load1_per_core") FROM "infra_load" WHERE ` + onSite + ` AND $timeFilter GROUP BY time($__interval), "host" fill(null) tz('Europe/Paris')`
	QueryNetworkReceive    = `SELECT mean("network_receive_bytes_per_second") FROM "infra_load" WHERE ` + onSite + ` AND $timeFilter GROUP BY time($__interval), "host" fill(null) tz('Europe/Paris')`
	QueryNetworkTransmit   = `SELECT mean("network_transmit_bytes_per_second") FROM "infra_load" WHERE ` + onSite + ` AND $timeFilter GROUP BY time($__interval), "host" fill(null) tz('Europe/Paris')`
	QueryHTTPConnections   = `SELECT max("http_connections") FROM "infra_load" WHERE ` + onSite + ` AND $timeFilter GROUP BY time($__interval), "host" fill(null) tz('Europe/Paris')`
	QueryProbeDuration     = `SELECT max("duration_seconds") FROM "ent_probe" WHERE ` + onSite + ` AND $timeFilter GROUP BY time($__interval), "target" fill(null) tz('Europe/Paris')`
	QueryProbeSuccess      = `SELECT mean("success") FROM "ent_probe" WHERE ` + onSite + ` AND $timeFilter GROUP BY time($__interval), "target" fill(null) tz('Europe/Paris')`
	// Grafana writes a multi-value variable in PromQL as an alternative
	// too: ent=~"(ent92|oze78)".
	PromCapacityPerMinute   = `ent_capacity_visits_per_day{department=~"$department", ent=~"$ent"} / 1440`
	PromCapacityVisitsByDay = `sum(ent_capacity_visits_per_day{department=~"$department", ent=~"$ent"})`
)

// Board "Usage par service" (live).
const (
	QueryPageViewsByService        = `SELECT sum("page_views") FROM "ent_service" WHERE ` + onSite + ` AND $timeFilter GROUP BY time($__interval), "service" fill(0) tz('Europe/Paris')`
	QueryPageViewsByServiceTotal   = `SELECT sum("page_views") FROM "ent_service" WHERE ` + onSite + ` AND $timeFilter GROUP BY "service" tz('Europe/Paris')`
	QueryServicePageViewsByProfile = `SELECT sum("page_views") FROM "ent_service" WHERE ` + onSite + ` AND "profile" = '%s' AND $timeFilter GROUP BY time($__interval) fill(0) tz('Europe/Paris')`
	// One row per service and profile, pivoted by the panel into a service
	// × profile table.
	QueryServiceByProfileTable = `SELECT sum("page_views") AS "page_views" FROM "ent_service" WHERE ` + onSite + ` AND $timeFilter GROUP BY "service", "profile" tz('Europe/Paris')`
)

// Board "entpipe — santé de la collecte" (Prometheus, entpipe's own metrics).
const (
	PromSourcesUp          = `sum(entpipe_source_up)`
	PromSourcesDown        = `count(entpipe_source_up == 0) or vector(0)`
	PromSourceUp           = `max by (source) (entpipe_source_up)`
	PromLinesByResult      = `sum by (result) (rate(entpipe_lines_total[$__rate_interval]))`
	PromLinesRejected      = `sum by (source) (rate(entpipe_lines_total{result!="parsed"}[$__rate_interval]))`
	PromSourceLag          = `time() - max by (source) (entpipe_source_newest_event_timestamp_seconds)`
	PromSpoolBytes         = `sum(entpipe_spool_bytes)`
	PromInfluxPointsRate   = `sum(rate(entpipe_influx_points_written_total[$__rate_interval]))`
	PromInfluxErrorsRate   = `sum by (reason) (rate(entpipe_influx_write_errors_total[$__rate_interval]))`
	PromInfluxErrorsInHour = `sum(increase(entpipe_influx_write_errors_total[1h])) or vector(0)`
)
