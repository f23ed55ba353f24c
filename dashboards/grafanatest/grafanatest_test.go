package grafanatest

import (
	"testing"
	"time"
)

func TestExpand(t *testing.T) {
	now := time.Date(2020, 3, 31, 10, 0, 0, 0, time.UTC)
	from, to, err := Range("now-7d", "now", now)
	if err != nil || to.Sub(from) != 7*24*time.Hour {
		t.Fatalf("range: %v %v %v", from, to, err)
	}
	w := Window{From: from, To: to, Interval: Interval(from, to, time.Minute, 1000),
		Vars: map[string][]string{"department": {"92"}, "ent": {"ent92", "oze78"}}}
	got, err := InfluxQL(`SELECT sum("v") / ($__interval_ms / 60000) FROM "m" WHERE "department" =~ /^$department$/ AND "ent" =~ /^${ent}$/ AND $timeFilter GROUP BY time($__interval)`, w)
	want := `SELECT sum("v") / (600000 / 60000) FROM "m" WHERE "department" =~ /^92$/ AND "ent" =~ /^(ent92|oze78)$/ AND time >= 1585044000000ms and time <= 1585648800000ms GROUP BY time(10m)`
	if err != nil || got != want {
		t.Errorf("InfluxQL:\n got %s (%v)\nwant %s", got, err, want)
	}
	if _, err := InfluxQL(`WHERE "host" =~ /^$host$/`, w); err == nil {
		t.Error("an unknown variable must be an error: Grafana would send it unexpanded")
	}
	prom, err := PromQL(`rate(x{ent=~"$ent"}[$__rate_interval])`, w, 15*time.Second)
	if err != nil || prom != `rate(x{ent=~"(ent92|oze78)"}[615s])` {
		t.Errorf("PromQL: %s (%v)", prom, err)
	}
	for span, want := range map[time.Duration]time.Duration{time.Hour: time.Minute, 24 * time.Hour: time.Minute,
		7 * 24 * time.Hour: 10 * time.Minute, 31 * 24 * time.Hour: 30 * time.Minute, 300 * 24 * time.Hour: 6 * time.Hour} {
		if got := Interval(now.Add(-span), now, time.Minute, 1000); got != want {
			t.Errorf("Interval over %v: %v, want %v", span, got, want)
		}
	}
}
