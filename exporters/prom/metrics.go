package prom

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/entpipe/entpipe/collector"
)

// binding makes one metric of collector.ExporterMetrics from one field of
// one measurement: the table gives its name, type, labels, unit and help,
// the binding says where its values come from. bind checks that the two
// agree with collector.Schema (labels = the measurement's tags, counters =
// Additive fields).
type binding struct {
	metric             string
	measurement, field string
	// split keeps the series whose tag split is splitValue, without that
	// label: one metric per unique-visitor period, since a sum over
	// periods would mean nothing.
	split, splitValue string
	// scale converts the stored unit to the base unit (hours → seconds);
	// 0 means 1.
	scale float64
	// sinceBucket adds the bucket's Unix time to the scaled value: a time
	// left as of the bucket becomes the timestamp it ends at (days left →
	// expiry), which does not drift between two probes.
	sinceBucket bool
}

// bindings is the table of every metric the exporter derives from points;
// exporters/prom/README.md's table is generated from it and
// collector.Metrics(). Fields absent from it are not exported:
// ent_traffic's page_views (which ent_service splits by service), the
// duration fields of ent_requests (the histogram carries them), and
// infra_load's per-second rates (node_exporter exports the network bytes
// as counters, and http_requests makes the request counter).
func bindings() []binding {
	const hour, day = 3600, 86400
	visitors := func(metric, period string) binding {
		return binding{metric: metric, measurement: collector.MeasVisitors, field: collector.FieldUniqueVisitors,
			split: collector.TagPeriod, splitValue: period}
	}
	return []binding{
		{metric: collector.MetricVisits, measurement: collector.MeasTraffic, field: collector.FieldVisits},
		{metric: collector.MetricPageViews, measurement: collector.MeasService, field: collector.FieldPageViews},
		{metric: collector.MetricRequests, measurement: collector.MeasRequests, field: collector.FieldRequests},
		{metric: collector.MetricResponseBytes, measurement: collector.MeasRequests, field: collector.FieldBytes},
		{metric: collector.MetricRequestMaxDuration, measurement: collector.MeasRequests, field: collector.FieldDurationMax},
		{metric: collector.MetricOpenVisits, measurement: collector.MeasActive, field: collector.FieldOpenVisits},
		visitors(collector.MetricDailyVisitors, collector.PeriodDay),
		visitors(collector.MetricWeeklyVisitors, collector.PeriodWeek),
		visitors(collector.MetricMonthlyVisitors, collector.PeriodMonth),
		{metric: collector.MetricEnseignoAccounts, measurement: collector.MeasEnseigno, field: collector.FieldActivatedAccounts},
		{metric: collector.MetricEnseignoSessions, measurement: collector.MeasEnseigno, field: collector.FieldSessions},
		{metric: collector.MetricEnseignoTutoring, measurement: collector.MeasEnseigno, field: collector.FieldTutoringHours, scale: hour},
		{metric: collector.MetricEnseignoCourseSheets, measurement: collector.MeasEnseigno, field: collector.FieldCourseSheets},
		{metric: collector.MetricEnseignoExercises, measurement: collector.MeasEnseigno, field: collector.FieldExercises},
		{metric: collector.MetricInfraCPU, measurement: collector.MeasInfraLoad, field: collector.FieldCPUUtilization},
		{metric: collector.MetricInfraMemory, measurement: collector.MeasInfraLoad, field: collector.FieldMemoryUtilization},
		{metric: collector.MetricInfraLoad1PerCore, measurement: collector.MeasInfraLoad, field: collector.FieldLoad1PerCore},
		{metric: collector.MetricInfraDiskIO, measurement: collector.MeasInfraLoad, field: collector.FieldDiskIOUtilization},
		{metric: collector.MetricInfraHTTPConnections, measurement: collector.MeasInfraLoad, field: collector.FieldHTTPConnections},
		{metric: collector.MetricInfraHTTPRequests, measurement: collector.MeasInfraLoad, field: collector.FieldHTTPRequests},
		{metric: collector.MetricProbeSuccess, measurement: collector.MeasProbe, field: collector.FieldSuccess},
		{metric: collector.MetricProbeDuration, measurement: collector.MeasProbe, field: collector.FieldDurationSeconds},
		{metric: collector.MetricProbeStatusCode, measurement: collector.MeasProbe, field: collector.FieldStatusCode},
		{metric: collector.MetricProbeTLSExpiry, measurement: collector.MeasProbe, field: collector.FieldTLSDaysLeft, scale: day, sinceBucket: true},
	}
}

// histogramDef maps ent_request_duration's cumulative le_* fields, count and
// sum to one Prometheus histogram.
type histogramDef struct {
	measurement string
	name        string
	count, sum  string
	bounds      []float64
	boundFields []string
}

// requestDuration is the one histogram.
func requestDuration() histogramDef {
	return histogramDef{
		measurement: collector.MeasRequestDuration,
		name:        collector.MetricRequestDuration,
		count:       collector.FieldDurationCount,
		sum:         collector.FieldDurationSumSeconds,
		bounds:      collector.DurationBuckets(),
		boundFields: collector.DurationBucketFields(),
	}
}

// newDesc describes the family name with its row of defs, collector.Metrics()
// by name: help, labels and unit (the # UNIT line of OpenMetrics). A name
// without a row gives a Desc that registration refuses, naming it.
func newDesc(defs map[string]collector.MetricDef, name string) *prometheus.Desc {
	if d, ok := defs[name]; ok {
		return descOf(d)
	}
	return prometheus.NewInvalidDesc(fmt.Errorf("prom: BUG: metric %s has no row in collector.Metrics", name))
}

func descOf(d collector.MetricDef) *prometheus.Desc {
	var opts []prometheus.DescOpt
	if u := d.Unit(); u != "" {
		opts = append(opts, prometheus.WithUnit(u))
	}
	return prometheus.V2.NewDesc(d.Name, d.Help, prometheus.UnconstrainedLabels(d.Labels), nil, opts...)
}

// valueType is the client_golang type of a counter or gauge row.
func valueType(t collector.MetricType) prometheus.ValueType {
	if t == collector.CounterType {
		return prometheus.CounterValue
	}
	return prometheus.GaugeValue
}
