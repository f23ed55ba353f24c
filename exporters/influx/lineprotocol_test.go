package influx

import (
	"math"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
)

func TestAppendLine(t *testing.T) {
	at := time.Date(2020, 3, 30, 6, 0, 0, 0, time.UTC)
	pt := func(tags map[string]string, fields map[string]any) collector.Point {
		return collector.Point{Measurement: "ent_service", Tags: tags, Fields: fields, Time: at}
	}
	for _, tc := range []struct {
		name string
		p    collector.Point
		want string // "" means an error
	}{
		{"sorted tags and fields, int suffix",
			pt(map[string]string{"profile": "eleve", "department": "92"}, map[string]any{"z": int64(-3), "a": 0.25}),
			"ent_service,department=92,profile=eleve a=0.25,z=-3i 1585548000000000000"},
		{"escapes",
			pt(map[string]string{"service": "cahier de textes,v=2"}, map[string]any{"page views": int64(1)}),
			`ent_service,service=cahier\ de\ textes\,v\=2 page\ views=1i 1585548000000000000`},
		{"empty tag value omitted", pt(map[string]string{"ent": ""}, map[string]any{"n": 1.0}), "ent_service n=1 1585548000000000000"},
		{"large float", pt(nil, map[string]any{"n": 1e21}), "ent_service n=1e+21 1585548000000000000"},
		{"NaN", pt(nil, map[string]any{"n": math.NaN()}), ""},
		{"Inf", pt(nil, map[string]any{"n": math.Inf(1)}), ""},
		{"int is not int64", pt(nil, map[string]any{"n": 3}), ""},
		{"no field", pt(nil, nil), ""},
		{"newline in tag", pt(map[string]string{"a": "x\ny"}, map[string]any{"n": 1.0}), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := appendLine([]byte("prefix\n"), tc.p)
			if tc.want == "" {
				if err == nil || string(got) != "prefix\n" {
					t.Fatalf("got %q, %v; want an error and the buffer unchanged", got, err)
				}
				return
			}
			if err != nil || string(got) != "prefix\n"+tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestSplitLines(t *testing.T) {
	for _, body := range []string{"a\nb", "aaaaaaaa\nb", "a\nbbbbbbbbb", "a\nb\nc\nd\ne"} {
		first, second, err := splitLines([]byte(body))
		if err != nil || len(first) == 0 || len(second) == 0 || string(first)+"\n"+string(second) != body {
			t.Errorf("split %q = %q, %q, %v", body, first, second, err)
		}
		if countLines(first)+countLines(second) != countLines([]byte(body)) {
			t.Errorf("split %q loses lines", body)
		}
	}
	if _, _, err := splitLines([]byte("single")); err == nil {
		t.Error("a single line was split")
	}
}
