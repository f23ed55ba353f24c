package prom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/entpipe/entpipe/collector"
)

// metricDef maps one field of one measurement to a Prometheus metric. The
// labels are the measurement's schema tags, in schema order; scale converts
// the stored unit to the Prometheus base unit (hours → seconds…).
type metricDef struct {
	measurement, field string
	name, help         string
	scale              float64
}

// histogramDef maps ent_request_duration's cumulative le_* fields, count and
// sum to one Prometheus histogram.
type histogramDef struct {
	measurement string
	name, help  string
	count, sum  string
	bounds      []float64
	boundFields []string
}

// liveMetrics is the table of every metric the exporter derives from
// points; README.md's table mirrors it. Counters or gauges follow the
// field's collector.FieldKind. Fields absent from the table (ent_traffic's
// page_views, which ent_service splits by service; the duration fields of
// ent_requests, which the histogram carries) are not exported.
func liveMetrics() []metricDef {
	return []metricDef{
		{collector.MeasTraffic, collector.FieldVisits, "ent_visits_total", "Visits started (a visit is counted in the minute of its first page view).", 1},
		{collector.MeasService, collector.FieldPageViews, "ent_page_views_total", "Page views (class page, GET, status 2xx or 304) by profile and ENT service.", 1},
		{collector.MeasRequests, collector.FieldRequests, "ent_requests_total", "HTTP requests by class and status class, bots and health checks included.", 1},
		{collector.MeasRequests, collector.FieldBytes, "ent_response_bytes_total", "Bytes sent in responses, by class and status class.", 1},
		{collector.MeasRequests, collector.FieldDurationMax, "ent_request_max_duration_seconds", "Longest request of the newest minute, by class and status class.", 1},
		{collector.MeasActive, collector.FieldOpenVisits, "ent_open_visits", "Visits in progress at the end of the newest minute.", 1},
		{collector.MeasVisitors, collector.FieldUniqueVisitors, "ent_unique_visitors", "Exact unique visitors of the current Europe/Paris day, ISO week or month.", 1},
		{collector.MeasEnseigno, collector.FieldActivatedAccounts, "enseigno_activated_accounts", "Enseigno accounts activated, as of the newest daily export.", 1},
		{collector.MeasEnseigno, collector.FieldSessions, "enseigno_sessions", "Enseigno sessions of the newest day exported.", 1},
		{collector.MeasEnseigno, collector.FieldTutoringHours, "enseigno_tutoring_seconds", "Enseigno tutoring time of the newest day exported, in seconds.", 3600},
		{collector.MeasEnseigno, collector.FieldCourseSheets, "enseigno_course_sheets", "Enseigno course sheets viewed on the newest day exported.", 1},
		{collector.MeasEnseigno, collector.FieldExercises, "enseigno_exercises", "Enseigno exercises done on the newest day exported.", 1},
		{collector.MeasInfraLoad, collector.FieldCPUUtilization, "infra_cpu_utilization_ratio", "Share of CPU time not idle (0-1), newest scrape of the host's node_exporter.", 1},
		{collector.MeasInfraLoad, collector.FieldMemoryUtilization, "infra_memory_utilization_ratio", "Share of memory not available (0-1).", 1},
		{collector.MeasInfraLoad, collector.FieldLoad1PerCore, "infra_load1_per_core", "One-minute load average divided by the number of CPUs.", 1},
		{collector.MeasInfraLoad, collector.FieldNetReceiveBps, "infra_network_receive_bytes_per_second", "Network bytes received per second, all physical interfaces.", 1},
		{collector.MeasInfraLoad, collector.FieldNetTransmitBps, "infra_network_transmit_bytes_per_second", "Network bytes sent per second, all physical interfaces.", 1},
		{collector.MeasInfraLoad, collector.FieldDiskIOUtilization, "infra_disk_io_utilization_ratio", "Share of time the busiest disk was doing I/O (0-1).", 1},
		{collector.MeasInfraLoad, collector.FieldHTTPConnections, "infra_http_connections", "Open connections reported by the web server's status page.", 1},
		{collector.MeasInfraLoad, collector.FieldHTTPRequestsPerSec, "infra_http_requests_per_second", "Requests per second reported by the web server's status page.", 1},
		{collector.MeasProbe, collector.FieldSuccess, "ent_probe_success", "1 when the newest probe of the ENT URL succeeded, else 0.", 1},
		{collector.MeasProbe, collector.FieldDurationSeconds, "ent_probe_duration_seconds", "Duration of the newest probe.", 1},
		{collector.MeasProbe, collector.FieldStatusCode, "ent_probe_http_status_code", "HTTP status code of the newest probe (0 when no response).", 1},
		{collector.MeasProbe, collector.FieldTLSDaysLeft, "ent_probe_tls_remaining_seconds", "Time left before the probed certificate expires.", 86400},
	}
}

// requestDuration is the one histogram.
func requestDuration() histogramDef {
	return histogramDef{
		measurement: collector.MeasRequestDuration,
		name:        "ent_request_duration_seconds",
		help:        "Request time of the requests whose log format records it, by class.",
		count:       collector.FieldDurationCount,
		sum:         collector.FieldDurationSumSeconds,
		bounds:      collector.DurationBuckets(),
		boundFields: collector.DurationBucketFields(),
	}
}

// Names of the metrics the exporter builds from Options rather than points.
const (
	metricCapacityVisitsPerDay = "ent_capacity_visits_per_day"
	metricCapacityPeakHour     = "ent_capacity_peak_hour_ratio"
	metricBuildInfo            = "entpipe_build_info"
)

func newDesc(name, help string, labels []string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}
