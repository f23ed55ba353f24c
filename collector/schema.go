package collector

import (
	"strconv"
	"time"
)

// This file is the one table of entpipe's names: the InfluxDB schema of
// docs/design.md#influxdb-schema (every measurement, tag, field and
// vocabulary value that leaves a collector) and every self-metric with its
// type, labels and help. Dashboards, reports, the exporters, the audience
// engine's indexes and the tests derive from it, so a rename or a new value
// is one edit here. Stored names are append-only in practice: renaming one
// breaks history.

// Measurements.
const (
	MeasTraffic         = "ent_traffic"          // 1 min: visits started and page views by profile
	MeasService         = "ent_service"          // 10 min: page views by profile and service
	MeasRequests        = "ent_requests"         // 10 min: every request by class and status class
	MeasRequestDuration = "ent_request_duration" // 10 min: request-time histogram by class (formats with a duration)
	MeasActive          = "ent_active"           // 1 min: visits in progress at the end of the minute
	MeasVisitors        = "ent_visitors"         // day/week/month: exact unique visitors by profile
	MeasEnseigno        = "enseigno_usage"       // day: Enseigno tutoring usage by discipline
	MeasInfraLoad       = "infra_load"           // scrape: host load
	MeasProbe           = "ent_probe"            // probe: ENT URL availability
)

// Tag keys.
const (
	TagDepartment  = "department"
	TagENT         = "ent"
	TagProfile     = "profile"
	TagService     = "service"
	TagClass       = "class"
	TagStatusClass = "status_class"
	TagPeriod      = "period"
	TagDiscipline  = "discipline"
	TagHost        = "host"
	TagTarget      = "target"
)

// Field keys.
const (
	FieldVisits             = "visits"
	FieldPageViews          = "page_views"
	FieldRequests           = "requests"
	FieldBytes              = "bytes"
	FieldDurationSum        = "duration_seconds_sum"
	FieldDurationMax        = "duration_seconds_max"
	FieldOpenVisits         = "open_visits"
	FieldUniqueVisitors     = "unique_visitors"
	FieldActivatedAccounts  = "activated_accounts"
	FieldSessions           = "sessions"
	FieldTutoringHours      = "tutoring_hours"
	FieldCourseSheets       = "course_sheets"
	FieldExercises          = "exercises"
	FieldCPUUtilization     = "cpu_utilization"
	FieldMemoryUtilization  = "memory_utilization"
	FieldLoad1PerCore       = "load1_per_core"
	FieldNetReceiveBps      = "network_receive_bytes_per_second"
	FieldNetTransmitBps     = "network_transmit_bytes_per_second"
	FieldDiskIOUtilization  = "disk_io_utilization"
	FieldHTTPConnections    = "http_connections"
	FieldHTTPRequestsPerSec = "http_requests_per_second"
	FieldHTTPRequests       = "http_requests" // requests served since the previous poll
	FieldSuccess            = "success"
	FieldDurationSeconds    = "duration_seconds"
	FieldStatusCode         = "status_code"
	FieldTLSDaysLeft        = "tls_days_left"
	FieldDurationCount      = "count"       // ent_request_duration: requests with a duration
	FieldDurationSumSeconds = "sum_seconds" // ent_request_duration: sum of their durations
)

// Profiles (tag values of TagProfile). Dashboards map them to French labels.
const (
	ProfileEleve      = "eleve"
	ProfileParent     = "parent"
	ProfileEnseignant = "enseignant"
	ProfilePersonnel  = "personnel"
	ProfileInvite     = "invite"
	ProfileAutre      = "autre"   // authenticated, profile unknown
	ProfileAnonyme    = "anonyme" // not authenticated
)

// Request classes (tag values of TagClass).
const (
	ClassBot      = "bot"
	ClassHealth   = "health"
	ClassStatic   = "static"
	ClassAPI      = "api"
	ClassDownload = "download"
	ClassPage     = "page"
)

// Status classes (tag values of TagStatusClass): the hundreds of the HTTP
// status code.
const (
	StatusClass1xx = "1xx"
	StatusClass2xx = "2xx"
	StatusClass3xx = "3xx"
	StatusClass4xx = "4xx"
	StatusClass5xx = "5xx"
)

// Periods (tag values of TagPeriod) of ent_visitors, in Europe/Paris time.
const (
	PeriodDay   = "day"
	PeriodWeek  = "week" // ISO week, starting Monday
	PeriodMonth = "month"
)

// The vocabularies: every list of values the schema fixes, once, in the
// order the audience engine indexes it (it keeps a small integer per
// request, not a string) and dashboards show it. Their lengths are
// constants so that engines can size arrays by them; each list is an array
// of its length, so a list and its length that disagree do not compile.
const (
	NumProfiles        = 7
	NumClasses         = 6
	NumStatusClasses   = 5
	NumPeriods         = 3
	NumDurationBuckets = 8
)

func profiles() [NumProfiles]string {
	return [...]string{ProfileEleve, ProfileParent, ProfileEnseignant, ProfilePersonnel, ProfileInvite, ProfileAutre, ProfileAnonyme}
}

// classes are in the first-match order of the classification rule
// (docs/design.md#audience-definitions), after "invalid", which is
// counted but is not a request.
func classes() [NumClasses]string {
	return [...]string{ClassBot, ClassHealth, ClassStatic, ClassAPI, ClassDownload, ClassPage}
}

func statusClasses() [NumStatusClasses]string {
	return [...]string{StatusClass1xx, StatusClass2xx, StatusClass3xx, StatusClass4xx, StatusClass5xx}
}

func periods() [NumPeriods]string { return [...]string{PeriodDay, PeriodWeek, PeriodMonth} }

// durationBuckets are the upper bounds (seconds) of the request-time
// histogram.
func durationBuckets() [NumDurationBuckets]float64 {
	return [...]float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
}

// Profiles lists every profile slug in display order. Freshly allocated,
// as are the other lists.
func Profiles() []string { p := profiles(); return p[:] }

// Classes lists the request classes in first-match order.
func Classes() []string { c := classes(); return c[:] }

// StatusClasses lists the status classes in order.
func StatusClasses() []string { s := statusClasses(); return s[:] }

// Periods lists the unique-visitor periods, shortest first.
func Periods() []string { p := periods(); return p[:] }

// DurationBuckets lists the bounds of the request-time histogram. Field
// DurationBucketFields()[i] of ent_request_duration holds the cumulative
// count of requests that took at most DurationBuckets()[i], as a
// Prometheus histogram bucket does, so p95 can be computed from either
// side.
func DurationBuckets() []float64 { b := durationBuckets(); return b[:] }

// DurationBucketFields are the field keys matching DurationBuckets: "le_"
// and the bound in seconds ("le_0.05" … "le_10").
func DurationBucketFields() []string {
	fields := make([]string, 0, NumDurationBuckets)
	for _, b := range DurationBuckets() {
		fields = append(fields, "le_"+strconv.FormatFloat(b, 'g', -1, 64))
	}
	return fields
}

// ClassIndex is the index of class in Classes(), -1 for anything else. It
// does not allocate: the audience engine calls it for every request.
func ClassIndex(class string) int {
	for i, c := range classes() {
		if c == class {
			return i
		}
	}
	return -1
}

// StatusClassIndex is the index in StatusClasses() of an HTTP status code's
// class. Codes below 200 count as 1xx and codes from 600 as 5xx, so every
// parsed status has a class (parsers reject what is not a 3-digit code).
func StatusClassIndex(code int) int { return min(max(code/100, 1), NumStatusClasses) - 1 }

// Vocabularies maps every tag key whose values the schema fixes to its
// list, freshly allocated. The other bounded tags (department, ent,
// service, discipline, host, target) get their values from the
// configuration.
func Vocabularies() map[string][]string {
	return map[string][]string{
		TagProfile:     Profiles(),
		TagClass:       Classes(),
		TagStatusClass: StatusClasses(),
		TagPeriod:      Periods(),
	}
}

// Other is the tag value every out-of-vocabulary value folds into, so no
// input can grow cardinality; each fold is counted in MetricLabelOverflows.
const Other = "other"

// DisciplineAll is the enseigno_usage discipline tag of all-discipline totals.
const DisciplineAll = "all"

// FieldKind says how a field's values combine across buckets, which is what
// a live Prometheus exporter needs to turn bucket totals into metrics.
type FieldKind uint8

const (
	// Additive fields are bucket totals of a count: the totals of distinct
	// buckets add up (visits, page views, bytes), so the live value is a
	// counter, the sum of the latest total of every bucket.
	Additive FieldKind = iota
	// Level fields are a state or a ratio at the bucket time (open visits,
	// utilisation, unique visitors of the period): the live value is a gauge.
	Level
)

// MeasurementSchema describes one measurement for sinks that need more than
// its name.
type MeasurementSchema struct {
	Name   string
	Tags   []string
	Fields map[string]FieldKind
}

// Bucket widths of the ENT measurements (docs/design.md#influxdb-schema).
// The load curves, ent_traffic and ent_active, are by the minute; their
// breakdowns, ent_service, ent_requests and ent_request_duration, by ten
// minutes: their series are many and a small ENT's minute is sparse, so
// minute buckets made InfluxDB ingest almost a point a log line. Ten
// minutes is the bulletin's intraday resolution; live values are in
// Prometheus. Both divide an hour, so buckets align on Paris time too.
const (
	MinuteBucket    = time.Minute
	BreakdownBucket = 10 * time.Minute
)

// BreakdownMeasurements lists the measurements bucketed by BreakdownBucket.
func BreakdownMeasurements() []string {
	return []string{MeasService, MeasRequests, MeasRequestDuration}
}

// Schema returns the description of every measurement, freshly allocated.
func Schema() []MeasurementSchema {
	site := []string{TagDepartment, TagENT}
	durations := map[string]FieldKind{FieldDurationCount: Additive, FieldDurationSumSeconds: Additive}
	for _, f := range DurationBucketFields() {
		durations[f] = Additive
	}
	return []MeasurementSchema{
		{MeasTraffic, append(site, TagProfile), map[string]FieldKind{FieldVisits: Additive, FieldPageViews: Additive}},
		{MeasService, append(site, TagProfile, TagService), map[string]FieldKind{FieldPageViews: Additive}},
		{MeasRequests, append(site, TagClass, TagStatusClass), map[string]FieldKind{
			FieldRequests: Additive, FieldBytes: Additive, FieldDurationSum: Additive, FieldDurationMax: Level}},
		{MeasRequestDuration, append(site, TagClass), durations},
		{MeasActive, site, map[string]FieldKind{FieldOpenVisits: Level}},
		{MeasVisitors, append(site, TagProfile, TagPeriod), map[string]FieldKind{FieldUniqueVisitors: Level}},
		{MeasEnseigno, append([]string{TagDepartment}, TagDiscipline), map[string]FieldKind{
			FieldActivatedAccounts: Level, FieldSessions: Level, FieldTutoringHours: Level,
			FieldCourseSheets: Level, FieldExercises: Level}},
		{MeasInfraLoad, append(site, TagHost), map[string]FieldKind{
			FieldCPUUtilization: Level, FieldMemoryUtilization: Level, FieldLoad1PerCore: Level,
			FieldNetReceiveBps: Level, FieldNetTransmitBps: Level, FieldDiskIOUtilization: Level,
			FieldHTTPConnections: Level, FieldHTTPRequestsPerSec: Level, FieldHTTPRequests: Additive}},
		{MeasProbe, append(site, TagTarget), map[string]FieldKind{
			FieldSuccess: Level, FieldDurationSeconds: Level, FieldStatusCode: Level, FieldTLSDaysLeft: Level}},
	}
}

// Self-metric names. Each has one row in SelfMetrics, which gives its type,
// label names and help; Stats refuses a name without a row.
const (
	MetricLines           = "entpipe_lines_total"
	MetricFileRotations   = "entpipe_file_rotations_total"
	MetricFileTruncations = "entpipe_file_truncations_total"
	MetricSourceNewest    = "entpipe_source_newest_event_timestamp_seconds"
	MetricSourceUp        = "entpipe_source_up"
	MetricSourceRestarts  = "entpipe_source_restarts_total"
	MetricSourcePoints    = "entpipe_source_points_total"
	MetricSourceDuration  = "entpipe_source_gather_duration_seconds"
	MetricSourceLastOK    = "entpipe_source_last_success_timestamp_seconds"
	MetricCheckpointTime  = "entpipe_checkpoint_timestamp_seconds"
	MetricLabelOverflows  = "entpipe_label_overflows_total"
	MetricInfluxPoints    = "entpipe_influx_points_written_total"
	MetricInfluxErrors    = "entpipe_influx_write_errors_total"
	MetricInfluxRejected  = "entpipe_influx_points_rejected_total"
	MetricSpoolBytes      = "entpipe_spool_bytes"
	MetricSpoolOldest     = "entpipe_spool_oldest_timestamp_seconds"
	MetricSpoolReplays    = "entpipe_spool_replayed_batches_total"
	MetricSpoolFull       = "entpipe_spool_full"
	MetricSpoolCorrupt    = "entpipe_spool_corrupt_records_total"
	MetricPromLatePoints  = "entpipe_prom_late_points_total"
	MetricScrapeErrors    = "entpipe_scrape_errors_total"
	MetricScrapeUp        = "entpipe_scrape_up"
	MetricReloadOK        = "entpipe_config_last_reload_successful"
	MetricReloadTime      = "entpipe_config_last_reload_success_timestamp_seconds"

	MetricEnseignoHeaderProblems = "entpipe_enseigno_header_problems"
)

// Label names of the self-metrics.
const (
	LabelSource      = "source"      // the configured source name (prom for the exporter's own folds)
	LabelResult      = "result"      // of a line: ResultParsed, ResultTooLate, ResultFuture or a rejection reason
	LabelLabel       = "label"       // the tag key whose value was folded into Other
	LabelReason      = "reason"      // why an InfluxDB write failed
	LabelMeasurement = "measurement" // a measurement name
	LabelTarget      = "target"      // an infra target: kind/host
	LabelProblem     = "problem"     // what is wrong with an export's header: unknown_column, missing_column
)

// MetricDef is one row of the metrics table (Metrics(): the self-metrics
// of SelfMetrics and the families of ExporterMetrics): everything the
// Prometheus exporter needs to describe the family and, for a self-metric,
// what Stats checks every use against, so that the type and label names of
// a series cannot drift from the definition.
type MetricDef struct {
	Name   string
	Type   MetricType
	Labels []string // label names, in the order a Stats call gives them
	Help   string
}

// SelfMetrics is the table of every self-metric (what entpipe says about
// itself, kept in Stats and exposed by the Prometheus exporter), freshly
// allocated. Names follow Prometheus conventions: counters end in _total,
// units are base units.
func SelfMetrics() []MetricDef {
	src := []string{LabelSource}
	return []MetricDef{
		{MetricLines, CounterType, []string{LabelSource, LabelResult},
			"Lines (log lines, export rows) read by a source, each counted once, by result: parsed, too_late (older than the rewrite horizon), future (stamped more than max_future ahead), or why it was rejected: malformed, binary, bad_utf8, too_long, bad_time, bad_request, bad_status or bad_number (log lines), invalid (export rows)."},
		{MetricFileRotations, CounterType, src,
			"Followed log files that were renamed away or replaced (rotation); each was read to its end first."},
		{MetricFileTruncations, CounterType, src,
			"Followed log files that shrank below the read offset or whose first kilobyte changed (copytruncate); each was read again from its start."},
		{MetricSourceNewest, GaugeType, src,
			"Unix time of the newest event (log line time) the source parsed; time() minus it is how far behind the source is."},
		{MetricSourceUp, GaugeType, src,
			"1 when the source's last run or poll succeeded, 0 while it is failing and being retried."},
		{MetricSourceRestarts, CounterType, src,
			"Times a streaming source stopped on an error and was restarted with backoff."},
		{MetricSourcePoints, CounterType, src,
			"Points the source handed to the sinks."},
		{MetricSourceDuration, GaugeType, src,
			"Duration of the polled source's last poll, in seconds."},
		{MetricSourceLastOK, GaugeType, src,
			"Unix time of the polled source's last successful poll."},
		{MetricCheckpointTime, GaugeType, src,
			"Unix time of the source's last checkpoint, written once its points were durable."},
		{MetricLabelOverflows, CounterType, []string{LabelSource, LabelLabel},
			`Tag values outside their vocabulary, folded into "other" (raw profiles: into autre), by source and tag key.`},
		{MetricInfluxPoints, CounterType, nil,
			"Points accepted by InfluxDB."},
		{MetricInfluxErrors, CounterType, []string{LabelReason},
			"Failed InfluxDB writes, by reason; only rejected points are dropped, every other failure is retried."},
		{MetricInfluxRejected, CounterType, nil,
			"Points dropped because InfluxDB refused them (4xx) or line protocol cannot represent them; logged, rate-limited."},
		{MetricSpoolBytes, GaugeType, nil,
			"Bytes waiting in the on-disk spool for InfluxDB."},
		{MetricSpoolOldest, GaugeType, nil,
			"Unix time of the oldest batch in the spool, 0 when the spool is empty."},
		{MetricSpoolReplays, CounterType, nil,
			"Spooled batches written to InfluxDB after it came back."},
		{MetricSpoolFull, GaugeType, nil,
			"1 while the spool is full and the sources are paused, else 0."},
		{MetricSpoolCorrupt, CounterType, nil,
			"Damaged spool records (flipped bits, zeroed blocks) dropped when the spool was read: their batches never reached InfluxDB."},
		{MetricPromLatePoints, CounterType, []string{LabelMeasurement},
			"Bucket rewrites older than the Prometheus exporter's horizon, ignored by the live counters."},
		{MetricScrapeErrors, CounterType, []string{LabelSource, LabelTarget},
			"Failed scrapes of an infra target (node_exporter or web-server status URL); a failed probe is ent_probe success 0, not a scrape error."},
		{MetricScrapeUp, GaugeType, []string{LabelSource, LabelTarget},
			"1 when the infra target's last scrape (node_exporter or web-server status URL) succeeded, else 0."},
		{MetricReloadOK, GaugeType, nil,
			"1 when the last configuration reload (SIGHUP or POST /-/reload) succeeded, 0 when it was refused and the previous configuration still runs."},
		{MetricReloadTime, GaugeType, nil,
			"Unix time of the last successful configuration load: the start, or the last successful reload."},
		{MetricEnseignoHeaderProblems, GaugeType, []string{LabelSource, LabelProblem},
			"In the last Enseigno export read, header cells that map to no column (problem unknown_column) and expected value columns the export lacks (missing_column)."},
	}
}

// Line results (label values of MetricLines' result).
const (
	ResultParsed  = "parsed"   // a request, whatever its class
	ResultInvalid = "invalid"  // unparseable
	ResultTooLate = "too_late" // older than the rewrite horizon
	ResultFuture  = "future"   // stamped further ahead than max_future (of the wall clock, or of the lines around it)
)
