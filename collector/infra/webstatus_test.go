package infra

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/entpipe/entpipe/collector"
)

func stubPage(active, requests int) string {
	return "Active connections: " + strconv.Itoa(active) + " \nserver accepts handled requests\n 100 100 " + strconv.Itoa(requests) +
		" \nReading: 0 Writing: 1 Waiting: 2 \n"
}

// apacheEvent is a server-status?auto page of the event MPM (Apache 2.4).
const apacheEvent = `127.0.0.1
ServerVersion: Apache/2.4.62 (Debian)
ServerMPM: event
Total Accesses: %d
Total kBytes: 1203
Uptime: 7302
BusyWorkers: 3
IdleWorkers: 72
ConnsTotal: 17
ConnsAsyncWriting: 0
Scoreboard: __W___K_____________________________________________________
`

// apachePrefork has no ConnsTotal: busy workers are the connections.
const apachePrefork = `ServerMPM: prefork
Total Accesses: 40
BusyWorkers: 5
IdleWorkers: 3
`

// TestWebStatus scrapes nginx and Apache status pages three times, 15 s
// apart, the third after a server restart (request counter went down).
func TestWebStatus(t *testing.T) {
	f := func(name string, apache bool, bodies []string, want []map[string]any) {
		t.Run(name, func(t *testing.T) {
			srv := pages(t, bodies...)
			cfg := Config{Site: collector.Site{Department: "78", ENT: "oze78"}}
			if apache {
				cfg.ApacheStatus = []string{srv.URL + "/server-status?auto"}
			} else {
				cfg.StubStatus = []string{srv.URL + "/nginx_status"}
			}
			s, _ := newSource(t, cfg)
			for i, w := range want {
				points, err := s.Gather(context.Background())
				if err != nil {
					t.Fatalf("gather %d: %v", i, err)
				}
				if len(points) != 1 || points[0].Measurement != collector.MeasInfraLoad {
					t.Fatalf("gather %d: points %v, want one infra_load point", i, points)
				}
				if got := points[0].Fields; !equalFields(got, w) {
					t.Errorf("gather %d: fields %v, want %v", i, got, w)
				}
			}
		})
	}
	conns, reqs, rps := collector.FieldHTTPConnections, collector.FieldHTTPRequests, collector.FieldHTTPRequestsPerSec
	f("nginx", false, []string{stubPage(291, 3000), stubPage(5, 3150), stubPage(7, 20)}, []map[string]any{
		{conns: int64(291)}, {conns: int64(5), reqs: int64(150), rps: 10.0}, {conns: int64(7)}})
	f("apache event", true, []string{
		strings.Replace(apacheEvent, "%d", "1000", 1), strings.Replace(apacheEvent, "%d", "1300", 1),
		strings.Replace(apacheEvent, "%d", "2", 1)}, []map[string]any{
		{conns: int64(17)}, {conns: int64(17), reqs: int64(300), rps: 20.0}, {conns: int64(17)}})
	f("apache prefork", true, []string{apachePrefork}, []map[string]any{{conns: int64(5)}, {conns: int64(5), reqs: int64(0), rps: 0.0}})
}

// TestWebStatusGarbage checks that pages that are not status pages are
// errors.
func TestWebStatusGarbage(t *testing.T) {
	for _, c := range []struct {
		read func([]byte) (status, error)
		body string
	}{
		{readStubStatus, "<html>Welcome to nginx!</html>"},
		{readStubStatus, "Active connections: many\nserver accepts handled requests\n 1 1 1\n"},
		{readStubStatus, "Active connections: 1\nserver accepts handled requests\n 1 1\n"},
		{readStubStatus, "Active connections: 1\nserver accepts handled requests\n 1 1 -4\n"},
		{readApacheStatus, "<html>Apache Server Status</html>"},
		{readApacheStatus, "BusyWorkers: -1\n"},
		{readApacheStatus, "BusyWorkers: 1\nTotal Accesses: x\n"},
	} {
		if st, err := c.read([]byte(c.body)); err == nil {
			t.Errorf("%q: got %+v, want an error", c.body, st)
		}
	}
}

func equalFields(got, want map[string]any) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
