package influxtest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// TestIntegrationStartWriteQuery proves the helper gives a working influxd:
// a line written through the 1.x API comes back through InfluxQL, and the
// server survives a stop and restart with its data.
func TestIntegrationStartWriteQuery(t *testing.T) {
	s := influxtest.Start(t)
	resp, err := http.Post(s.URL+"/write?db="+s.Database, "text/plain",
		strings.NewReader("m,department=92 n=42i 1585555200000000000\n"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write status %s", resp.Status)
	}
	s.Stop()
	s.Restart()
	got := s.MustQuery(`SELECT n FROM m WHERE department = '92'`)
	if len(got) != 1 || len(got[0].Values) != 1 {
		t.Fatalf("series = %+v", got)
	}
	row := got[0].Values[0]
	if row[0] != "2020-03-30T08:00:00Z" || row[1].(interface{ String() string }).String() != "42" {
		t.Fatalf("row = %v, want [2020-03-30T08:00:00Z 42]", row)
	}
}
