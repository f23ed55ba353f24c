package infra

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// webStatus derives http_connections, http_requests (requests since the
// previous poll, which the Prometheus exporter adds up into a counter) and
// http_requests_per_second from a web server's status page. It keeps the previous request counter; only its
// target's goroutine uses it.
type webStatus struct {
	read     func(body []byte) (status, error)
	prev     status
	prevAt   time.Time
	havePrev bool
}

// status is what one status page says.
type status struct {
	connections int64
	requests    float64 // total requests served since start
	hasRequests bool
}

func (w *webStatus) parse(body []byte, now time.Time) (map[string]any, error) {
	cur, err := w.read(body)
	if err != nil {
		return nil, err
	}
	fields := map[string]any{collector.FieldHTTPConnections: cur.connections}
	// A counter that went down is a server restart: skip one poll rather
	// than emit a negative count.
	if w.havePrev && w.prev.hasRequests && cur.hasRequests && cur.requests >= w.prev.requests && now.After(w.prevAt) {
		n := cur.requests - w.prev.requests
		fields[collector.FieldHTTPRequests] = int64(n)
		fields[collector.FieldHTTPRequestsPerSec] = n / now.Sub(w.prevAt).Seconds()
	}
	w.prev, w.prevAt, w.havePrev = cur, now, true
	return fields, nil
}

// readStubStatus parses nginx's stub_status page:
//
//	Active connections: 291
//	server accepts handled requests
//	 16630948 16630948 31070465
//	Reading: 6 Writing: 179 Waiting: 106
func readStubStatus(body []byte) (status, error) {
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if len(lines) < 3 {
		return status{}, errors.New("not an nginx stub_status page: too short")
	}
	active, ok := strings.CutPrefix(strings.TrimSpace(lines[0]), "Active connections:")
	if !ok {
		return status{}, errors.New("not an nginx stub_status page: no \"Active connections:\"")
	}
	conns, err := strconv.ParseInt(strings.TrimSpace(active), 10, 64)
	if err != nil || conns < 0 {
		return status{}, fmt.Errorf("nginx stub_status: active connections %q", strings.TrimSpace(active))
	}
	counters := strings.Fields(lines[2])
	if len(counters) != 3 {
		return status{}, fmt.Errorf("nginx stub_status: counters line %q", lines[2])
	}
	requests, err := strconv.ParseUint(counters[2], 10, 64)
	if err != nil {
		return status{}, fmt.Errorf("nginx stub_status: requests %q", counters[2])
	}
	return status{connections: conns, requests: float64(requests), hasRequests: true}, nil
}

// readApacheStatus parses Apache mod_status in machine form (?auto). The
// connections are ConnsTotal (event MPM), else BusyWorkers (prefork,
// worker); requests are "Total Accesses" (ExtendedStatus On, the 2.4
// default).
func readApacheStatus(body []byte) (status, error) {
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return status{}, fmt.Errorf("apache server-status: %w", err)
	}
	var st status
	conns, ok := kv["ConnsTotal"]
	if !ok {
		conns, ok = kv["BusyWorkers"]
	}
	if !ok {
		return status{}, errors.New("not an Apache server-status?auto page: no ConnsTotal or BusyWorkers")
	}
	n, err := strconv.ParseInt(conns, 10, 64)
	if err != nil || n < 0 {
		return status{}, fmt.Errorf("apache server-status: connections %q", conns)
	}
	st.connections = n
	if acc, ok := kv["Total Accesses"]; ok {
		r, err := strconv.ParseUint(acc, 10, 64)
		if err != nil {
			return status{}, fmt.Errorf("apache server-status: Total Accesses %q", acc)
		}
		st.requests, st.hasRequests = float64(r), true
	}
	return st, nil
}
