package influx

import (
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// benchPoints are the bucket points of a point-bound import: one
// ent_service, one ent_requests and one ent_request_duration total, as
// entlog writes them.
func benchPoints() []collector.Point {
	at := time.Date(2020, 3, 30, 6, 0, 0, 0, time.UTC)
	duration := map[string]any{collector.FieldDurationCount: int64(240), collector.FieldDurationSumSeconds: 31.25}
	for i, le := range collector.DurationBucketFields() {
		duration[le] = int64(200 + 5*i)
	}
	return []collector.Point{
		{Measurement: collector.MeasService, Time: at,
			Tags: map[string]string{collector.TagDepartment: "92", collector.TagENT: "ent92",
				collector.TagProfile: collector.ProfileEleve, collector.TagService: "cahier-de-textes"},
			Fields: map[string]any{collector.FieldPageViews: int64(12)}},
		{Measurement: collector.MeasRequests, Time: at,
			Tags: map[string]string{collector.TagDepartment: "92", collector.TagENT: "ent92",
				collector.TagClass: collector.ClassPage, collector.TagStatusClass: collector.StatusClass2xx},
			Fields: map[string]any{collector.FieldRequests: int64(240), collector.FieldBytes: int64(3_400_000),
				collector.FieldDurationSum: 12.5, collector.FieldDurationMax: 0.75}},
		{Measurement: collector.MeasRequestDuration, Time: at,
			Tags:   map[string]string{collector.TagDepartment: "92", collector.TagENT: "ent92", collector.TagClass: collector.ClassPage},
			Fields: duration},
	}
}

// BenchmarkAppendLine measures collector.AppendLine, the sink's CPU per
// point when InfluxDB is fast; BenchmarkLineProtocolV2 does the same work
// (sorted keys, validation, values from the point's fields) with
// github.com/influxdata/line-protocol/v2's Encoder, the alternative
// (v2Encoder, the one the tests check AppendLine against):
//
//	go test -run '^$' -bench 'AppendLine|LineProtocolV2' -benchmem ./exporters/influx/
func BenchmarkAppendLine(b *testing.B) {
	points := benchPoints()
	var buf []byte
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var err error
		if buf, err = collector.AppendLine(buf[:0], points[i%len(points)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLineProtocolV2(b *testing.B) {
	points := benchPoints()
	var enc v2Encoder
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := enc.encode(points[i%len(points)]); err != nil {
			b.Fatal(err)
		}
	}
}
