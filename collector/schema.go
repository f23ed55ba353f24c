package collector

// This file is the InfluxDB schema of DESIGN.md as constants: every
// measurement, tag, field and vocabulary value that leaves a collector.
// Dashboards, reports, the Prometheus exporter and the tests refer to these
// names only, so a rename is one edit here. It is append-only in practice:
// renaming a stored name breaks history.

// Measurements.
const (
	MeasTraffic         = "ent_traffic"          // 1 min: visits started and page views by profile
	MeasService         = "ent_service"          // 1 min: page views by profile and service
	MeasRequests        = "ent_requests"         // 1 min: every request by class and status class
	MeasRequestDuration = "ent_request_duration" // 1 min: request-time histogram by class (formats with a duration)
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
	FieldSuccess            = "success"
	FieldDurationSeconds    = "duration_seconds"
	FieldStatusCode         = "status_code"
	FieldTLSDaysLeft        = "tls_days_left"
	FieldDurationCount      = "count"       // ent_request_duration: requests with a duration
	FieldDurationSumSeconds = "sum_seconds" // ent_request_duration: sum of their durations
)

// DurationBuckets are the upper bounds (seconds) of the request-time
// histogram. Field DurationBucketFields[i] of ent_request_duration holds the
// cumulative count of requests that took at most DurationBuckets[i], as a
// Prometheus histogram bucket does, so p95 can be computed from either side.
func DurationBuckets() []float64 {
	return []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
}

// DurationBucketFields are the field keys matching DurationBuckets.
func DurationBucketFields() []string {
	return []string{"le_0.05", "le_0.1", "le_0.25", "le_0.5", "le_1", "le_2.5", "le_5", "le_10"}
}

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

// Profiles lists every profile slug in display order.
func Profiles() []string {
	return []string{ProfileEleve, ProfileParent, ProfileEnseignant, ProfilePersonnel, ProfileInvite, ProfileAutre, ProfileAnonyme}
}

// Request classes (tag values of TagClass), in DESIGN.md's first-match order
// after "invalid", which is counted but is not a request.
const (
	ClassBot      = "bot"
	ClassHealth   = "health"
	ClassStatic   = "static"
	ClassAPI      = "api"
	ClassDownload = "download"
	ClassPage     = "page"
)

// Periods (tag values of TagPeriod) of ent_visitors, in Europe/Paris time.
const (
	PeriodDay   = "day"
	PeriodWeek  = "week" // ISO week, starting Monday
	PeriodMonth = "month"
)

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
			FieldHTTPConnections: Level, FieldHTTPRequestsPerSec: Level}},
		{MeasProbe, append(site, TagTarget), map[string]FieldKind{
			FieldSuccess: Level, FieldDurationSeconds: Level, FieldStatusCode: Level, FieldTLSDaysLeft: Level}},
	}
}

// Self-metrics: what entpipe says about itself, kept in Stats and exposed by
// the Prometheus exporter. Names follow Prometheus conventions.
const (
	MetricLines           = "entpipe_lines_total"                           // {source,result}
	MetricFileRotations   = "entpipe_file_rotations_total"                  // {source}
	MetricFileTruncations = "entpipe_file_truncations_total"                // {source}
	MetricSourceLag       = "entpipe_source_lag_seconds"                    // {source}: now - event time of the last parsed line
	MetricSourceUp        = "entpipe_source_up"                             // {source}: 1 when the last run or poll succeeded
	MetricSourceRestarts  = "entpipe_source_restarts_total"                 // {source}
	MetricSourcePoints    = "entpipe_source_points_total"                   // {source}
	MetricSourceDuration  = "entpipe_source_gather_duration_seconds"        // {source}: last poll
	MetricSourceLastOK    = "entpipe_source_last_success_timestamp_seconds" // {source}
	MetricCheckpointTime  = "entpipe_checkpoint_timestamp_seconds"          // {source}: last durable checkpoint
	MetricLabelOverflows  = "entpipe_label_overflows_total"                 // {source,label}: values folded into "other"
	MetricInfluxPoints    = "entpipe_influx_points_written_total"
	MetricInfluxErrors    = "entpipe_influx_write_errors_total"      // {reason}
	MetricInfluxRejected  = "entpipe_influx_points_rejected_total"   // points InfluxDB refused (4xx)
	MetricSpoolBytes      = "entpipe_spool_bytes"                    // bytes waiting in the disk spool
	MetricSpoolOldest     = "entpipe_spool_oldest_timestamp_seconds" // 0 when the spool is empty
	MetricSpoolReplays    = "entpipe_spool_replayed_batches_total"
	MetricSpoolFull       = "entpipe_spool_full" // 1 while sources are paused on a full spool
	// damaged spool records dropped (flipped bits, zeroed blocks): batches lost
	MetricSpoolCorrupt = "entpipe_spool_corrupt_records_total"
	// {measurement}: bucket rewrites older than the Prometheus exporter's horizon, ignored by live counters
	MetricPromLatePoints = "entpipe_prom_late_points_total"

	// collector/infra: one series per configured target.
	MetricScrapeErrors = "entpipe_scrape_errors_total" // {source,target}: failed scrapes of one infra target
	MetricScrapeUp     = "entpipe_scrape_up"           // {source,target}: 1 when the target's last scrape succeeded
)

// Line results (label values of MetricLines' result).
const (
	ResultParsed  = "parsed"   // a request, whatever its class
	ResultInvalid = "invalid"  // unparseable
	ResultTooLate = "too_late" // older than the rewrite horizon
)
