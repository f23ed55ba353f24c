package influx

import (
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// BenchmarkAppendLine measures the encoding of the bucket points of a
// point-bound import (one ent_service, one ent_requests total), the sink's
// CPU per point when InfluxDB is fast:
//
//	go test -run '^$' -bench BenchmarkAppendLine -benchmem ./exporters/influx/
func BenchmarkAppendLine(b *testing.B) {
	at := time.Date(2020, 3, 30, 6, 0, 0, 0, time.UTC)
	points := []collector.Point{
		{Measurement: collector.MeasService, Time: at,
			Tags: map[string]string{collector.TagDepartment: "92", collector.TagENT: "ent92",
				collector.TagProfile: collector.ProfileEleve, collector.TagService: "cahier-de-textes"},
			Fields: map[string]any{collector.FieldPageViews: int64(12)}},
		{Measurement: collector.MeasRequests, Time: at,
			Tags: map[string]string{collector.TagDepartment: "92", collector.TagENT: "ent92",
				collector.TagClass: collector.ClassPage, collector.TagStatusClass: "2xx"},
			Fields: map[string]any{collector.FieldRequests: int64(240), collector.FieldBytes: int64(3_400_000),
				collector.FieldDurationSum: 12.5, collector.FieldDurationMax: 0.75}},
	}
	var buf []byte
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var err error
		if buf, err = appendLine(buf[:0], points[i%len(points)]); err != nil {
			b.Fatal(err)
		}
	}
}
