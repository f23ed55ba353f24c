package influx_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/exporters/influx"
	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// TestIntegrationSetupV1 runs Setup twice against influxd 1.8 (the second
// run with a new retention): the database and the retention policy exist,
// with the last retention, as the default policy, and the sink's writes are
// readable through the database's default policy.
func TestIntegrationSetupV1(t *testing.T) {
	s := influxtest.Start(t)
	ctx := context.Background()
	q := influx.Querier{URL: s.URL, Database: "ent"}
	for _, tc := range []struct {
		bucket, rp string
		retention  time.Duration
		want       string
	}{
		{"ent/two_years", "two_years", 0, "18600h0m0s"}, // default: 25 months of 31 days
		{"ent/two_years", "two_years", 400 * 24 * time.Hour, "9600h0m0s"},
		{"ent", "autogen", 0, "18600h0m0s"},
	} {
		cfg := influx.Config{URL: s.URL, Bucket: tc.bucket, Retention: tc.retention}
		for range 2 {
			if err := influx.Setup(ctx, cfg); err != nil {
				t.Fatalf("setup %s: %v", tc.bucket, err)
			}
		}
		res, err := q.Query(ctx, `SHOW RETENTION POLICIES ON "ent"`)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, row := range res[0].Values { // name, duration, shardGroupDuration, replicaN, default
			if row[0] == tc.rp {
				found = true
				if row[1] != tc.want || row[4] != true {
					t.Errorf("%s: policy %v, want duration %s and default", tc.bucket, row, tc.want)
				}
			}
		}
		if !found {
			t.Errorf("%s: no retention policy %s in %v", tc.bucket, tc.rp, res[0].Values)
		}
	}

	if err := influx.Setup(ctx, influx.Config{URL: s.URL, Bucket: "ent/two_years"}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, testConfig(s.URL, "ent/two_years"), t.TempDir())
	// Recent buckets: InfluxDB drops points older than the retention.
	g := traffic{minutes: 2, start: time.Now().UTC().Truncate(time.Hour).Add(-24 * time.Hour)}
	writeAll(t, h.sink, g.round(0))
	h.close(t, time.Minute)
	res, err := q.Query(ctx, `SELECT count(visits) FROM ent_traffic`)
	if err != nil || len(res) != 1 || res[0].Values[0][1].(json.Number).String() != "14" {
		t.Fatalf("read back through the default policy: %+v, %v", res, err)
	}

	// Points older than the retention (the 2020 scenario replayed years
	// later) are refused by InfluxDB: counted as rejected, not retried.
	old := newHarness(t, testConfig(s.URL, "ent/two_years"), t.TempDir())
	writeAll(t, old.sink, traffic{minutes: 2, start: time.Date(2020, 3, 30, 6, 0, 0, 0, time.UTC)}.round(0))
	old.close(t, time.Minute)
	if got := old.value(collector.MetricInfluxRejected); got != 14 {
		t.Errorf("rejected = %v, want the 14 points beyond the retention", got)
	}
	if !strings.Contains(old.log.String(), "beyond retention") {
		t.Errorf("the reason is not logged:\n%s", old.log)
	}
}

// fakeV2 is the part of the InfluxDB 2.x API Setup uses, with state, so
// that idempotence shows: one bucket, one mapping, however many runs.
type fakeV2 struct {
	mu      sync.Mutex
	buckets map[string]map[string]any // name → bucket JSON
	dbrps   []map[string]any
}

func (f *fakeV2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	reply := func(v any) { _ = json.NewEncoder(w).Encode(v) }
	decode := func() map[string]any {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		return m
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /api/v2/setup":
		reply(map[string]any{"allowed": false})
	case "GET /api/v2/orgs":
		reply(map[string]any{"orgs": []any{map[string]any{"id": "0a1b", "name": r.URL.Query().Get("org")}}})
	case "GET /api/v2/buckets":
		list := []any{}
		if b, ok := f.buckets[r.URL.Query().Get("name")]; ok && r.URL.Query().Get("orgID") == "0a1b" {
			list = append(list, b)
		}
		reply(map[string]any{"buckets": list})
	case "POST /api/v2/buckets":
		b := decode()
		b["id"] = "b" + b["name"].(string)
		f.buckets[b["name"].(string)] = b
		w.WriteHeader(http.StatusCreated)
		reply(b)
	case "PATCH /api/v2/buckets/bent":
		b := decode()
		f.buckets["ent"]["retentionRules"] = b["retentionRules"]
		reply(f.buckets["ent"])
	case "GET /api/v2/dbrps":
		reply(map[string]any{"content": f.dbrps})
	case "POST /api/v2/dbrps":
		m := decode()
		m["id"] = "d1"
		f.dbrps = append(f.dbrps, m)
		w.WriteHeader(http.StatusCreated)
		reply(m)
	default:
		http.Error(w, `{"code":"not found","message":"`+r.Method+" "+r.URL.Path+`"}`, http.StatusNotFound)
	}
}

// TestSetupV2 runs Setup twice against the 2.x API (influxd 2 cannot run
// here): the bucket is created with the retention, then updated, and mapped
// once for InfluxQL.
func TestSetupV2(t *testing.T) {
	fake := &fakeV2{buckets: map[string]map[string]any{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	for _, retention := range []time.Duration{0, 48 * time.Hour} {
		if err := influx.Setup(context.Background(), influx.Config{URL: srv.URL, Org: "cd92", Bucket: "ent", Retention: retention}); err != nil {
			t.Fatal(err)
		}
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	b, ok := fake.buckets["ent"]
	if len(fake.buckets) != 1 || !ok {
		t.Fatalf("buckets %v", fake.buckets)
	}
	rules, _ := json.Marshal(b["retentionRules"])
	if string(rules) != `[{"everySeconds":172800,"type":"expire"}]` && string(rules) != `[{"everySeconds":172800}]` {
		t.Errorf("retention rules %s, want 172800 s", rules)
	}
	if len(fake.dbrps) != 1 || fake.dbrps[0]["database"] != "ent" || fake.dbrps[0]["retention_policy"] != "autogen" || fake.dbrps[0]["bucketID"] != "bent" {
		t.Errorf("DBRP mappings %v", fake.dbrps)
	}
}
