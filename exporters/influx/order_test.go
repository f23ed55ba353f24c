package influx

import (
	"hash/maphash"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// TestBucketKey: one key per series and time, whatever the fields; an
// escaped space in a name is part of the series.
func TestBucketKey(t *testing.T) {
	seed := maphash.MakeSeed()
	at := time.Date(2020, 3, 30, 6, 0, 0, 0, time.UTC)
	line := func(service string, at time.Time, views int64) []byte {
		b, err := collector.AppendLine(nil, collector.Point{Measurement: collector.MeasService, Time: at,
			Tags:   map[string]string{collector.TagENT: "ent92", collector.TagService: service},
			Fields: map[string]any{collector.FieldPageViews: views}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	key := func(b []byte) uint64 { return bucketKey(seed, b) }
	base := line("cahier de textes", at, 1)
	if got := string(base[:seriesEnd(base)]); got != `ent_service,ent=ent92,service=cahier\ de\ textes` {
		t.Errorf("series of %s = %q", base, got)
	}
	if key(base) != key(line("cahier de textes", at, 7)) {
		t.Error("a rewrite of a bucket has another key")
	}
	if key(base) == key(line("cahier de", at, 1)) || key(base) == key(line("cahier de textes", at.Add(time.Minute), 1)) {
		t.Error("two buckets share a key")
	}
}

func TestOverlap(t *testing.T) {
	for _, tc := range []struct {
		a, b []uint64
		want bool
	}{
		{nil, []uint64{1}, false},
		{[]uint64{1, 3, 5}, []uint64{2, 4, 6}, false},
		{[]uint64{1, 3, 5}, []uint64{0, 5}, true},
		{[]uint64{7}, []uint64{1, 2, 7, 9}, true},
	} {
		if got := overlap(tc.a, tc.b); got != tc.want {
			t.Errorf("overlap(%v, %v) = %v", tc.a, tc.b, got)
		}
	}
}
