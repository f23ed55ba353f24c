package prom

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/version"

	"github.com/entpipe/entpipe/collector"
)

var t0 = time.Date(2020, 3, 30, 6, 0, 0, 0, time.UTC) // Monday 8:00 in Paris

func newTestExporter(t *testing.T, opts Options) (*Exporter, *prometheus.Registry) {
	t.Helper()
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	reg := prometheus.NewPedanticRegistry()
	e, err := NewExporter(reg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return e, reg
}

func write(t *testing.T, e *Exporter, points ...collector.Point) {
	t.Helper()
	if err := e.Write(context.Background(), points); err != nil {
		t.Fatal(err)
	}
}

func service(minute int, profile, svc string, pageViews int64) collector.Point {
	return collector.Point{Measurement: collector.MeasService,
		Tags:   map[string]string{"department": "92", "ent": "ent92", "profile": profile, "service": svc},
		Fields: map[string]any{collector.FieldPageViews: pageViews},
		Time:   t0.Add(time.Duration(minute) * time.Minute)}
}

func active(minute int, open int64) collector.Point {
	return collector.Point{Measurement: collector.MeasActive,
		Tags:   map[string]string{"department": "92", "ent": "ent92"},
		Fields: map[string]any{collector.FieldOpenVisits: open},
		Time:   t0.Add(time.Duration(minute) * time.Minute)}
}

// header is the HELP and TYPE lines of a metric: its row of
// collector.Metrics.
func header(t *testing.T, name string) string {
	t.Helper()
	d, ok := collector.MetricsByName(collector.Metrics())[name]
	if !ok {
		t.Fatalf("%s is not in collector.Metrics", name)
	}
	return fmt.Sprintf("# HELP %s %s\n# TYPE %s %s\n", name, d.Help, name, d.Type)
}

func compare(t *testing.T, reg *prometheus.Registry, want string, names ...string) {
	t.Helper()
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

const pageViewsHeader = `# HELP ent_page_views_total Page views (class page, GET, status 2xx or 304) by profile and ENT service.
# TYPE ent_page_views_total counter
`

func TestExporterRewrittenBucketsAddDifferences(t *testing.T) {
	e, reg := newTestExporter(t, Options{})
	write(t, e, service(0, "eleve", "cahier-de-textes", 3))
	write(t, e, service(0, "eleve", "cahier-de-textes", 5))  // same bucket rewritten: +2
	write(t, e, service(1, "eleve", "cahier-de-textes", 4))  // new bucket: +4
	write(t, e, service(0, "eleve", "cahier-de-textes", 5))  // replayed rewrite: +0
	write(t, e, service(0, "eleve", "cahier-de-textes", 4))  // smaller total: counters never go down
	write(t, e, service(1, "parent", "cahier-de-textes", 1)) // another series
	compare(t, reg, pageViewsHeader+`
ent_page_views_total{department="92",ent="ent92",profile="eleve",service="cahier-de-textes"} 9
ent_page_views_total{department="92",ent="ent92",profile="parent",service="cahier-de-textes"} 1
`, "ent_page_views_total")
}

func TestExporterGaugesNeverGoBack(t *testing.T) {
	e, reg := newTestExporter(t, Options{})
	write(t, e, active(5, 120))
	write(t, e, active(3, 999)) // an older bucket rewritten late: ignored
	write(t, e, active(5, 130)) // the newest bucket rewritten: taken
	write(t, e, collector.Point{Measurement: collector.MeasVisitors,
		Tags:   map[string]string{"department": "92", "ent": "ent92", "profile": "eleve", "period": "day"},
		Fields: map[string]any{collector.FieldUniqueVisitors: int64(4000)}, Time: t0.Truncate(24 * time.Hour)})
	write(t, e, collector.Point{Measurement: collector.MeasVisitors,
		Tags:   map[string]string{"department": "92", "ent": "ent92", "profile": "eleve", "period": "day"},
		Fields: map[string]any{collector.FieldUniqueVisitors: int64(7000)}, Time: t0.Truncate(24 * time.Hour).Add(-24 * time.Hour)})
	write(t, e, collector.Point{Measurement: collector.MeasVisitors,
		Tags:   map[string]string{"department": "92", "ent": "ent92", "profile": "eleve", "period": "month"},
		Fields: map[string]any{collector.FieldUniqueVisitors: int64(52000)}, Time: t0.Truncate(24 * time.Hour).Add(-24 * time.Hour)})
	compare(t, reg, `# HELP ent_open_visits Visits in progress at the end of the newest minute.
# TYPE ent_open_visits gauge
ent_open_visits{department="92",ent="ent92"} 130
`+header(t, collector.MetricDailyVisitors)+`ent_daily_unique_visitors{department="92",ent="ent92",profile="eleve"} 4000
`+header(t, collector.MetricMonthlyVisitors)+`ent_monthly_unique_visitors{department="92",ent="ent92",profile="eleve"} 52000
`, "ent_open_visits", collector.MetricDailyVisitors, collector.MetricWeeklyVisitors, collector.MetricMonthlyVisitors)
}

func TestExporterHistogram(t *testing.T) {
	e, reg := newTestExporter(t, Options{})
	dur := func(minute int, counts [8]int64, count int64, sum float64) collector.Point {
		f := map[string]any{collector.FieldDurationCount: count, collector.FieldDurationSumSeconds: sum}
		for i, k := range collector.DurationBucketFields() {
			f[k] = counts[i]
		}
		return collector.Point{Measurement: collector.MeasRequestDuration,
			Tags:   map[string]string{"department": "92", "ent": "ent92", "class": "page"},
			Fields: f, Time: t0.Add(time.Duration(minute) * time.Minute)}
	}
	write(t, e, dur(0, [8]int64{1, 2, 2, 3, 3, 3, 3, 3}, 3, 0.9))
	write(t, e, dur(0, [8]int64{1, 2, 3, 4, 4, 4, 4, 5}, 6, 14.2)) // rewrite: one above 10 s
	write(t, e, dur(1, [8]int64{2, 2, 2, 2, 2, 2, 2, 2}, 2, 0.05))
	compare(t, reg, `# HELP ent_request_duration_seconds Request time of the requests whose log format records it, by class.
# TYPE ent_request_duration_seconds histogram
ent_request_duration_seconds_bucket{class="page",department="92",ent="ent92",le="0.05"} 3
ent_request_duration_seconds_bucket{class="page",department="92",ent="ent92",le="0.1"} 4
ent_request_duration_seconds_bucket{class="page",department="92",ent="ent92",le="0.25"} 5
ent_request_duration_seconds_bucket{class="page",department="92",ent="ent92",le="0.5"} 6
ent_request_duration_seconds_bucket{class="page",department="92",ent="ent92",le="1"} 6
ent_request_duration_seconds_bucket{class="page",department="92",ent="ent92",le="2.5"} 6
ent_request_duration_seconds_bucket{class="page",department="92",ent="ent92",le="5"} 6
ent_request_duration_seconds_bucket{class="page",department="92",ent="ent92",le="10"} 7
ent_request_duration_seconds_bucket{class="page",department="92",ent="ent92",le="+Inf"} 8
ent_request_duration_seconds_sum{class="page",department="92",ent="ent92"} 14.25
ent_request_duration_seconds_count{class="page",department="92",ent="ent92"} 8
`, "ent_request_duration_seconds")
}

func TestExporterHorizon(t *testing.T) {
	e, reg := newTestExporter(t, Options{Horizon: 10 * time.Minute})
	write(t, e, service(0, "eleve", "mail", 3))
	write(t, e, service(30, "eleve", "mail", 1)) // minute 0 is now beyond the horizon
	write(t, e, service(0, "eleve", "mail", 8))  // forgotten bucket: ignored, counted as late
	write(t, e, service(25, "eleve", "mail", 2)) // late but within the horizon: counted
	compare(t, reg, pageViewsHeader+`
ent_page_views_total{department="92",ent="ent92",profile="eleve",service="mail"} 6
`, "ent_page_views_total")
	compare(t, reg, header(t, collector.MetricPromLatePoints)+`entpipe_prom_late_points_total{measurement="ent_service"} 1
`, "entpipe_prom_late_points_total")
}

func TestExporterVocabularyOverflow(t *testing.T) {
	stats := collector.NewStats()
	var logs bytes.Buffer
	e, reg := newTestExporter(t, Options{Stats: stats, Log: slog.New(slog.NewTextHandler(&logs, nil)), Vocabulary: map[string][]string{
		"service": {"mail", "cahier-de-textes"}, "profile": collector.Profiles()}})
	write(t, e,
		service(0, "eleve", "mail", 2),
		service(0, "eleve", "jean.dupont@ac-versailles.fr", 3), // never a label value
		service(0, "eleve", "192.0.2.7", 4),
		service(1, "eleve", "192.0.2.7", 1),
		service(0, "root", "mail", 5),
		service(0, "eleve", "\xffbinary", 1),
	)
	write(t, e, service(0, "eleve", "192.0.2.7", 6)) // a rewrite of one folded bucket: +2
	compare(t, reg, pageViewsHeader+`
ent_page_views_total{department="92",ent="ent92",profile="eleve",service="mail"} 2
ent_page_views_total{department="92",ent="ent92",profile="eleve",service="other"} 11
ent_page_views_total{department="92",ent="ent92",profile="other",service="mail"} 5
`, "ent_page_views_total")
	compare(t, reg, header(t, collector.MetricLabelOverflows)+`entpipe_label_overflows_total{label="profile",source="prom"} 1
entpipe_label_overflows_total{label="service",source="prom"} 5
`, "entpipe_label_overflows_total")
	body, err := testutil.CollectAndFormat(e, expfmt.TypeTextPlain)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "label=service") {
		t.Errorf("overflow not logged: %s", logs.String())
	}
	for _, secret := range []string{"dupont", "192.0.2", "root", "binary"} {
		if strings.Contains(string(body), secret) || strings.Contains(logs.String(), secret) {
			t.Errorf("%q reached /metrics or the log", secret)
		}
	}
}

func TestExporterWriteErrors(t *testing.T) {
	e, reg := newTestExporter(t, Options{})
	p := active(0, 7)
	p.Fields["label"] = "text"
	if err := e.Write(context.Background(), []collector.Point{p, {Measurement: "future_measurement"}}); err == nil ||
		!strings.Contains(err.Error(), "ent_active field label: string is not a number") {
		t.Fatalf("Write = %v, want a field type error", err)
	}
	compare(t, reg, `# HELP ent_open_visits Visits in progress at the end of the newest minute.
# TYPE ent_open_visits gauge
ent_open_visits{department="92",ent="ent92"} 7
`, "ent_open_visits")
}

func TestExporterConstantMetrics(t *testing.T) {
	stats := collector.NewStats()
	stats.Gauge(collector.MetricSourceUp, "source", "ent92").Set(1)
	stats.Counter(collector.MetricLines, "source", "ent92", "result", "parsed").Add(42)
	e, reg := newTestExporter(t, Options{Stats: stats,
		Capacity: []Capacity{
			{Site: collector.Site{Department: "92", ENT: "ent92"}, VisitsPerDay: 180000, PeakHourRatio: 0.15},
			{Site: collector.Site{Department: "78", ENT: "oze78"}, VisitsPerDay: 30000, PeakHourRatio: 0.2},
		}})
	compare(t, reg, `# HELP ent_capacity_visits_per_day Visits per day the ENT is sized for (capacity: in the configuration).
# TYPE ent_capacity_visits_per_day gauge
ent_capacity_visits_per_day{department="92",ent="ent92"} 180000
ent_capacity_visits_per_day{department="78",ent="oze78"} 30000
# HELP ent_capacity_peak_hour_ratio Share of a day's capacity the busiest hour may carry (capacity: in the configuration).
# TYPE ent_capacity_peak_hour_ratio gauge
ent_capacity_peak_hour_ratio{department="92",ent="ent92"} 0.15
ent_capacity_peak_hour_ratio{department="78",ent="oze78"} 0.2
`+header(t, collector.MetricBuildInfo)+`entpipe_build_info{branch="",goarch="`+runtime.GOARCH+`",goos="`+runtime.GOOS+`",goversion="`+runtime.Version()+`",revision="`+version.GetRevision()+`",tags="`+version.GetTags()+`",version=""} 1
`+header(t, collector.MetricLines)+`entpipe_lines_total{result="parsed",source="ent92"} 42
`+header(t, collector.MetricSourceUp)+`entpipe_source_up{source="ent92"} 1
`, "ent_capacity_visits_per_day", "ent_capacity_peak_hour_ratio", "entpipe_build_info", "entpipe_lines_total", "entpipe_source_up")

	// A reload replaces the capacity and the vocabulary.
	if err := e.Configure(map[string][]string{"service": {"mail"}}, []Capacity{
		{Site: collector.Site{Department: "78", ENT: "oze78"}, VisitsPerDay: 40000, PeakHourRatio: 0.2}}); err != nil {
		t.Fatal(err)
	}
	write(t, e, service(0, "eleve", "mail", 1), service(0, "eleve", "notes", 1))
	compare(t, reg, header(t, collector.MetricCapacityVisitsPerDay)+`ent_capacity_visits_per_day{department="78",ent="oze78"} 40000
`+pageViewsHeader+`ent_page_views_total{department="92",ent="ent92",profile="eleve",service="mail"} 1
ent_page_views_total{department="92",ent="ent92",profile="eleve",service="other"} 1
`, collector.MetricCapacityVisitsPerDay, collector.MetricPageViews)
}

func TestExporterLint(t *testing.T) {
	e, reg := newTestExporter(t, Options{Stats: collector.NewStats()})
	write(t, e, realisticPoints(t0, 3)...)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
}

// TestExporterConcurrentWriteAndScrape writes from several sources while
// scraping; run with -race. The final counter is the sum of every source's
// final bucket totals, whatever the interleaving.
func TestExporterConcurrentWriteAndScrape(t *testing.T) {
	e, reg := newTestExporter(t, Options{Stats: collector.NewStats()})
	const writers, minutes = 4, 30
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for m := range minutes {
				for _, total := range []int64{1, int64(w + 1)} { // partial, then final total
					p := service(m, "eleve", "mail", total)
					p.Tags["ent"] = fmt.Sprintf("ent%d", w)
					write(t, e, p)
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if _, err := reg.Gather(); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum, series := 0.0, 0
	for _, f := range families {
		if f.GetName() == "ent_page_views_total" {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
				series++
			}
		}
	}
	if want := float64(minutes * (1 + 2 + 3 + 4)); sum != want || series != writers {
		t.Errorf("ent_page_views_total: %d series summing to %v, want %d summing to %v", series, sum, writers, want)
	}
}

// TestSelfMetricsFromTable: every self-metric is exported with the help,
// type and labels of its collector.SelfMetrics row (the pedantic registry
// also checks each sample against the descriptor it described), and passes
// promtool's lint rules.
func TestSelfMetricsFromTable(t *testing.T) {
	stats := collector.NewStats()
	_, reg := newTestExporter(t, Options{Stats: stats})
	defs := collector.SelfMetrics()
	for _, d := range defs {
		labels := []string{}
		for _, l := range d.Labels {
			labels = append(labels, l, "x")
		}
		if d.Type == collector.CounterType {
			stats.Counter(d.Name, labels...).Inc()
		} else {
			stats.Gauge(d.Name, labels...).Set(1)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %+v", err, problems)
	}
	got := map[string]*dto.MetricFamily{}
	for _, f := range families {
		got[f.GetName()] = f
	}
	for _, d := range defs {
		f := got[d.Name]
		if f == nil {
			t.Errorf("%s not exported", d.Name)
			continue
		}
		wantType := dto.MetricType_GAUGE
		if d.Type == collector.CounterType {
			wantType = dto.MetricType_COUNTER
		}
		if f.GetUnit() != d.Unit() {
			t.Errorf("%s: unit %q, want %q", d.Name, f.GetUnit(), d.Unit())
		}
		var names []string
		for _, l := range f.GetMetric()[0].GetLabel() {
			names = append(names, l.GetName())
		}
		if f.GetHelp() != d.Help || f.GetType() != wantType || !slices.Equal(names, slices.Sorted(slices.Values(d.Labels))) {
			t.Errorf("%s exported as %s %q %v, want %s %q %v", d.Name, f.GetType(), f.GetHelp(), names, wantType, d.Help, d.Labels)
		}
	}
}

// TestExporterInfraAndProbes: the web server's request counts per poll add
// up into a counter, the network rates are left to node_exporter, and the
// certificate's days left become its expiry timestamp, steady from one
// probe to the next.
func TestExporterInfraAndProbes(t *testing.T) {
	e, reg := newTestExporter(t, Options{})
	infra := func(s int, requests int64) collector.Point {
		return collector.Point{Measurement: collector.MeasInfraLoad, Time: t0.Add(time.Duration(s) * time.Second),
			Tags: map[string]string{"department": "92", "ent": "ent92", "host": "front1"},
			Fields: map[string]any{collector.FieldHTTPRequests: requests, collector.FieldHTTPRequestsPerSec: float64(requests) / 15,
				collector.FieldNetReceiveBps: 1e6, collector.FieldNetTransmitBps: 2e6}}
	}
	notAfter := t0.Add(30*24*time.Hour + 90*time.Minute)
	probe := func(s int) collector.Point {
		t := t0.Add(time.Duration(s) * time.Second)
		return collector.Point{Measurement: collector.MeasProbe, Time: t,
			Tags:   map[string]string{"department": "92", "ent": "ent92", "target": "login"},
			Fields: map[string]any{collector.FieldTLSDaysLeft: notAfter.Sub(t).Hours() / 24}}
	}
	write(t, e, infra(15, 300), infra(30, 450), infra(30, 450), probe(0), probe(15))
	compare(t, reg, header(t, collector.MetricInfraHTTPRequests)+`infra_http_requests_total{department="92",ent="ent92",host="front1"} 750
`+header(t, collector.MetricProbeTLSExpiry)+`ent_probe_tls_expiry_timestamp_seconds{department="92",ent="ent92",target="login"} `+
		fmt.Sprint(float64(notAfter.Unix()))+"\n", collector.MetricInfraHTTPRequests, collector.MetricProbeTLSExpiry)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if strings.Contains(f.GetName(), "per_second") || strings.Contains(f.GetName(), "network") {
			t.Errorf("%s exported", f.GetName())
		}
	}
}
