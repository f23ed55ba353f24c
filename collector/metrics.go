package collector

import "strings"

// This file completes the table of metrics begun by SelfMetrics (schema.go):
// the families the Prometheus exporter builds from points, from the
// configuration and from its HTTP server. Metrics() is the whole table, the
// one source of every metric name, type, label set, unit and help: the
// exporter describes its families from it, docs/design.md and
// exporters/prom/README.md are generated from it, and tests check that
// every metric the alert rules, the dashboards and the docs name is in it.

// Names of the metrics the Prometheus exporter builds (self-metrics are in
// schema.go). Renaming one breaks the rules, the dashboards and the
// queries of every user: list it in the README's upgrade notes.
const (
	MetricVisits               = "ent_visits_total"
	MetricPageViews            = "ent_page_views_total"
	MetricRequests             = "ent_requests_total"
	MetricResponseBytes        = "ent_response_bytes_total"
	MetricRequestMaxDuration   = "ent_request_max_duration_seconds"
	MetricRequestDuration      = "ent_request_duration_seconds"
	MetricOpenVisits           = "ent_open_visits"
	MetricDailyVisitors        = "ent_daily_unique_visitors"
	MetricWeeklyVisitors       = "ent_weekly_unique_visitors"
	MetricMonthlyVisitors      = "ent_monthly_unique_visitors"
	MetricEnseignoAccounts     = "enseigno_activated_accounts"
	MetricEnseignoSessions     = "enseigno_sessions"
	MetricEnseignoTutoring     = "enseigno_tutoring_seconds"
	MetricEnseignoCourseSheets = "enseigno_course_sheets"
	MetricEnseignoExercises    = "enseigno_exercises"
	MetricInfraCPU             = "infra_cpu_utilization_ratio"
	MetricInfraMemory          = "infra_memory_utilization_ratio"
	MetricInfraLoad1PerCore    = "infra_load1_per_core"
	MetricInfraDiskIO          = "infra_disk_io_utilization_ratio"
	MetricInfraHTTPConnections = "infra_http_connections"
	MetricInfraHTTPRequests    = "infra_http_requests_total"
	MetricProbeSuccess         = "ent_probe_success"
	MetricProbeDuration        = "ent_probe_duration_seconds"
	MetricProbeStatusCode      = "ent_probe_http_status_code"
	MetricProbeTLSExpiry       = "ent_probe_tls_expiry_timestamp_seconds"
	MetricCapacityVisitsPerDay = "ent_capacity_visits_per_day"
	MetricCapacityPeakHour     = "ent_capacity_peak_hour_ratio"
	MetricBuildInfo            = "entpipe_build_info"
	MetricHTTPConnections      = "entpipe_http_connections"
	MetricHTTPMaxConnections   = "entpipe_http_max_connections"
	MetricHTTPEvicted          = "entpipe_http_connections_evicted_total"
)

// LabelState is the connection state label of MetricHTTPConnections.
const LabelState = "state"

// ExporterMetrics is the table of the metrics the Prometheus exporter
// builds from points, from the configuration and from its HTTP server,
// freshly allocated. The labels of a metric made from a measurement are
// its schema tags, in schema order (less the one a metric is split by, as
// period for unique visitors); its type follows the field's FieldKind.
func ExporterMetrics() []MetricDef {
	site := []string{TagDepartment, TagENT}
	with := func(extra ...string) []string { return append(append([]string(nil), site...), extra...) }
	requests, host, target := with(TagClass, TagStatusClass), with(TagHost), with(TagTarget)
	enseigno := []string{TagDepartment, TagDiscipline}
	return []MetricDef{
		{MetricVisits, CounterType, with(TagProfile),
			"Visits started (a visit is counted in the minute of its first page view)."},
		{MetricPageViews, CounterType, with(TagProfile, TagService),
			"Page views (class page, GET, status 2xx or 304) by profile and ENT service."},
		{MetricRequests, CounterType, requests,
			"HTTP requests by class and status class, bots and health checks included."},
		{MetricResponseBytes, CounterType, requests,
			"Bytes sent in responses, by class and status class."},
		{MetricRequestMaxDuration, GaugeType, requests,
			"Longest request of the newest ten-minute block, by class and status class."},
		{MetricRequestDuration, HistogramType, with(TagClass),
			"Request time of the requests whose log format records it, by class."},
		{MetricOpenVisits, GaugeType, site,
			"Visits in progress at the end of the newest minute."},
		{MetricDailyVisitors, GaugeType, with(TagProfile),
			"Exact unique visitors of the current Europe/Paris day, by the profile of their first page view of the day."},
		{MetricWeeklyVisitors, GaugeType, with(TagProfile),
			"Exact unique visitors of the current ISO week (Monday to Sunday, Europe/Paris), by the profile of their first page view of the week."},
		{MetricMonthlyVisitors, GaugeType, with(TagProfile),
			"Exact unique visitors of the current Europe/Paris calendar month, by the profile of their first page view of the month."},
		{MetricEnseignoAccounts, GaugeType, enseigno,
			"Enseigno accounts activated, as of the newest daily export."},
		{MetricEnseignoSessions, GaugeType, enseigno,
			"Enseigno sessions of the newest day exported."},
		{MetricEnseignoTutoring, GaugeType, enseigno,
			"Enseigno tutoring time of the newest day exported, in seconds."},
		{MetricEnseignoCourseSheets, GaugeType, enseigno,
			"Enseigno course sheets viewed on the newest day exported."},
		{MetricEnseignoExercises, GaugeType, enseigno,
			"Enseigno exercises done on the newest day exported."},
		{MetricInfraCPU, GaugeType, host,
			"Share of CPU time not idle (0-1), newest scrape of the host's node_exporter."},
		{MetricInfraMemory, GaugeType, host,
			"Share of memory not available (0-1)."},
		{MetricInfraLoad1PerCore, GaugeType, host,
			"One-minute load average divided by the number of CPUs."},
		{MetricInfraDiskIO, GaugeType, host,
			"Share of time the busiest disk was doing I/O (0-1)."},
		{MetricInfraHTTPConnections, GaugeType, host,
			"Open connections reported by the web server's status page."},
		{MetricInfraHTTPRequests, CounterType, host,
			"Requests served by the web server since entpipe started, from the request counter of its status page (nginx stub_status, Apache server-status)."},
		{MetricProbeSuccess, GaugeType, target,
			"1 when the newest probe of the ENT URL succeeded, else 0."},
		{MetricProbeDuration, GaugeType, target,
			"Duration of the newest probe."},
		{MetricProbeStatusCode, GaugeType, target,
			"HTTP status code of the newest probe (0 when no response)."},
		{MetricProbeTLSExpiry, GaugeType, target,
			"Unix time at which the certificate of the newest HTTPS probe expires (its NotAfter)."},
		{MetricCapacityVisitsPerDay, GaugeType, site,
			"Visits per day the ENT is sized for (capacity: in the configuration)."},
		{MetricCapacityPeakHour, GaugeType, site,
			"Share of a day's capacity the busiest hour may carry (capacity: in the configuration)."},
		// Made by client_golang's version collector, with its labels and help.
		{MetricBuildInfo, GaugeType, []string{"branch", "goarch", "goos", "goversion", "revision", "tags", "version"},
			"A metric with a constant '1' value labeled by version, revision, branch, goversion from which entpipe was built, and the goos and goarch for the build."},
		{MetricHTTPConnections, GaugeType, []string{LabelState},
			"Connections open on the metrics server, by state: new (no request yet), active (serving a request), idle (keep-alive between requests), hijacked."},
		{MetricHTTPMaxConnections, GaugeType, nil,
			"Most connections the metrics server keeps open (-web.max-connections, lowered to fit the open-files limit)."},
		{MetricHTTPEvicted, CounterType, nil,
			"Idle or silent connections the metrics server closed to accept new ones at the connection limit."},
	}
}

// Metrics is the whole table: every metric family entpipe serves on
// /metrics besides the Go runtime's, the process's and the handler's own
// (go_*, process_*, promhttp_*), freshly allocated.
func Metrics() []MetricDef { return append(ExporterMetrics(), SelfMetrics()...) }

// MetricsByName indexes a table (Metrics(), SelfMetrics()) by name, freshly
// allocated. The tables are built on each call: a user that looks up
// rows again and again builds the index once.
func MetricsByName(table []MetricDef) map[string]MetricDef {
	defs := make(map[string]MetricDef, len(table))
	for _, d := range table {
		defs[d.Name] = d
	}
	return defs
}

// Unit is the metric's unit as OpenMetrics states it: the base unit its
// name ends with (before _total), or "" for a count. Prometheus naming puts
// the unit in the name, so the name is the one place it is written.
func (d MetricDef) Unit() string {
	name := strings.TrimSuffix(d.Name, "_total")
	for _, u := range []string{"seconds", "bytes", "ratio"} {
		if strings.HasSuffix(name, "_"+u) {
			return u
		}
	}
	return ""
}
