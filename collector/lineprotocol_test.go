package collector

import (
	"math"
	"testing"
	"time"
)

func TestAppendLine(t *testing.T) {
	at := time.Date(2020, 3, 30, 6, 0, 0, 0, time.UTC)
	pt := func(tags map[string]string, fields map[string]any) Point {
		return Point{Measurement: "ent_service", Tags: tags, Fields: fields, Time: at}
	}
	one := map[string]any{"n": int64(1)}
	tag := func(k, v string) Point { return pt(map[string]string{k: v}, one) }
	for _, tc := range []struct {
		name string
		p    Point
		want string // "" means an error
	}{
		{"sorted tags and fields, int suffix",
			pt(map[string]string{"profile": "eleve", "department": "92"}, map[string]any{"z": int64(-3), "a": 0.25}),
			"ent_service,department=92,profile=eleve a=0.25,z=-3i 1585548000000000000"},
		{"escapes", pt(map[string]string{"service": "cahier de textes,v=2"}, map[string]any{"page views": int64(1)}),
			`ent_service,service=cahier\ de\ textes\,v\=2 page\ views=1i 1585548000000000000`},
		{"measurement escapes comma and space, not equals",
			Point{Measurement: "a b,c=d", Fields: one, Time: at}, `a\ b\,c=d n=1i 1585548000000000000`},
		{"backslash written as is", tag("path", `a\b`), `ent_service,path=a\b n=1i 1585548000000000000`},
		{"UTF-8", tag("service", "espace-élève"), "ent_service,service=espace-élève n=1i 1585548000000000000"},
		{"large float", pt(nil, map[string]any{"n": 1e21}), "ent_service n=1e+21 1585548000000000000"},
		{"integral float keeps no suffix", pt(nil, map[string]any{"n": 2.0}), "ent_service n=2 1585548000000000000"},
		{"before 1970", Point{Measurement: "m", Fields: one, Time: time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)}, "m n=1i -1000000000"},
		{"NaN", pt(nil, map[string]any{"n": math.NaN()}), ""},
		{"Inf", pt(nil, map[string]any{"n": math.Inf(-1)}), ""},
		{"int is not int64", pt(nil, map[string]any{"n": 3}), ""},
		{"string field", pt(nil, map[string]any{"n": "x"}), ""},
		{"no field", pt(nil, nil), ""},
		{"empty measurement", Point{Fields: one, Time: at}, ""},
		{"empty tag key", tag("", "x"), ""},
		{"empty tag value", tag("ent", ""), ""},
		{"empty field key", pt(nil, map[string]any{"": int64(1)}), ""},
		{"newline in tag value", tag("a", "x\ny"), ""},
		{"carriage return in measurement", Point{Measurement: "m\r", Fields: one, Time: at}, ""},
		{"tab in tag key", tag("a\tb", "x"), ""},
		{"DEL in field key", pt(nil, map[string]any{"a\x7f": int64(1)}), ""},
		{"NUL in tag value", tag("a", "x\x00"), ""},
		{"invalid UTF-8 in tag value", tag("a", "\xe9l\xe8ve"), ""},
		{"invalid UTF-8 in measurement", Point{Measurement: "m\xff", Fields: one, Time: at}, ""},
		{"trailing backslash in tag value", tag("a", `x\`), ""},
		{"trailing backslash in field key", pt(nil, map[string]any{`n\`: int64(1)}), ""},
		{"measurement read as a comment", Point{Measurement: "#m", Fields: one, Time: at}, ""},
		{"hash elsewhere is plain", tag("#a", "#"), "ent_service,#a=# n=1i 1585548000000000000"},
		{"zero time", Point{Measurement: "m", Fields: one}, ""},
		{"year 1600", Point{Measurement: "m", Fields: one, Time: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)}, ""},
		{"year 2300", Point{Measurement: "m", Fields: one, Time: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AppendLine([]byte("prefix\n"), tc.p)
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

func TestAppendLineDoesNotAllocate(t *testing.T) {
	p := Point{Measurement: MeasRequests, Time: time.Date(2020, 3, 30, 6, 0, 0, 0, time.UTC),
		Tags:   map[string]string{TagDepartment: "92", TagENT: "ent92", TagClass: ClassPage, TagStatusClass: StatusClass2xx},
		Fields: map[string]any{FieldRequests: int64(240), FieldBytes: int64(3_400_000), FieldDurationSum: 12.5, FieldDurationMax: 0.75}}
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf, _ = AppendLine(buf[:0], p) }); n != 0 {
		t.Errorf("%v allocations per point", n)
	}
}
