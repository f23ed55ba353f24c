package prom

import (
	"time"

	"github.com/entpipe/entpipe/collector"
)

// realisticPoints returns what the three ENT sources, an Enseigno export,
// an infra scrape and a probe emit over minutes minutes from start: every
// measurement, each 1-min bucket written twice (the open bucket's partial
// total, then its final one), as tailing does.
func realisticPoints(start time.Time, minutes int) []collector.Point {
	sites := []collector.Site{{Department: "92", ENT: "ent92"}, {Department: "78", ENT: "ecollege78"}, {Department: "78", ENT: "oze78"}}
	services := []string{"cahier-de-textes", "messagerie", "notes", "other"}
	var out []collector.Point
	add := func(meas string, site collector.Site, extra map[string]string, t time.Time, fields map[string]any) {
		tags := site.Tags()
		for k, v := range extra {
			tags[k] = v
		}
		out = append(out, collector.Point{Measurement: meas, Tags: tags, Fields: fields, Time: t})
	}
	for m := range minutes {
		t := start.Add(time.Duration(m) * time.Minute)
		for si, site := range sites {
			for pass := 1; pass <= 2; pass++ { // partial, then final total of the bucket
				for pi, profile := range collector.Profiles() {
					n := int64((si+1)*(pi+1)*(m+1)) * int64(pass)
					add(collector.MeasTraffic, site, map[string]string{"profile": profile}, t,
						map[string]any{collector.FieldVisits: n / 3, collector.FieldPageViews: n * int64(len(services))})
					for _, svc := range services {
						add(collector.MeasService, site, map[string]string{"profile": profile, "service": svc}, t,
							map[string]any{collector.FieldPageViews: n})
					}
				}
				for _, class := range []string{collector.ClassPage, collector.ClassStatic, collector.ClassAPI} {
					for ci, status := range []string{"2xx", "3xx", "4xx", "5xx"} {
						n := int64(100*pass) >> ci
						add(collector.MeasRequests, site, map[string]string{"class": class, "status_class": status}, t,
							map[string]any{collector.FieldRequests: n, collector.FieldBytes: n * 5120,
								collector.FieldDurationSum: float64(n) * 0.12, collector.FieldDurationMax: 2.5})
					}
					f := map[string]any{collector.FieldDurationCount: int64(188 * pass), collector.FieldDurationSumSeconds: 22.5 * float64(pass)}
					for bi, k := range collector.DurationBucketFields() {
						f[k] = min(int64(60*pass*(bi+1)), int64(188*pass))
					}
					add(collector.MeasRequestDuration, site, map[string]string{"class": class}, t, f)
				}
				add(collector.MeasActive, site, nil, t, map[string]any{collector.FieldOpenVisits: int64(300*si + m*pass)})
			}
			add(collector.MeasInfraLoad, site, map[string]string{"host": "front1"}, t, map[string]any{
				collector.FieldCPUUtilization: 0.42, collector.FieldMemoryUtilization: 0.61, collector.FieldLoad1PerCore: 0.8,
				collector.FieldNetReceiveBps: 1.2e6, collector.FieldNetTransmitBps: 9.8e6, collector.FieldDiskIOUtilization: 0.05,
				collector.FieldHTTPConnections: int64(850), collector.FieldHTTPRequestsPerSec: 320.0, collector.FieldHTTPRequests: int64(19200)})
			add(collector.MeasProbe, site, map[string]string{"target": "https://" + site.ENT + ".example/"}, t, map[string]any{
				collector.FieldSuccess: int64(1), collector.FieldDurationSeconds: 0.23,
				collector.FieldStatusCode: int64(200), collector.FieldTLSDaysLeft: 60.5})
		}
	}
	day := start.Truncate(24 * time.Hour)
	for _, site := range sites[:1] {
		for _, period := range []string{collector.PeriodDay, collector.PeriodWeek, collector.PeriodMonth} {
			add(collector.MeasVisitors, site, map[string]string{"profile": collector.ProfileEleve, "period": period}, day,
				map[string]any{collector.FieldUniqueVisitors: int64(41000)})
		}
	}
	for _, d := range []string{"maths", "francais", collector.DisciplineAll} {
		out = append(out, collector.Point{Measurement: collector.MeasEnseigno,
			Tags: map[string]string{"department": "92", "discipline": d}, Time: day,
			Fields: map[string]any{collector.FieldActivatedAccounts: int64(10400), collector.FieldSessions: int64(1300),
				collector.FieldTutoringHours: 210.5, collector.FieldCourseSheets: int64(920), collector.FieldExercises: int64(2600)}})
	}
	return out
}

// pageViewsOf is the expected ent_page_views_total of one site, profile
// and service after realisticPoints: the sum of the final bucket totals.
func pageViewsOf(siteIndex, profileIndex, minutes int) float64 {
	total := 0
	for m := range minutes {
		total += (siteIndex + 1) * (profileIndex + 1) * (m + 1) * 2
	}
	return float64(total)
}
