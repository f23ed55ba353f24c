package prom

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/entpipe/entpipe/collector"
)

// connLimiter wraps the server's listeners (limitedListener): it keeps at
// most max connections open on all of them together, so that clients
// cannot take the file descriptors that sources, checkpoints and the spool
// need, and it never makes a new client wait behind clients that hold
// connections and do nothing. At the limit it
// closes the connection idle for the longest time (a keep-alive connection
// between two requests), else the oldest one that has not sent a request yet
// (ReadHeaderTimeout would close it anyway): Prometheus scraping /metrics
// gets a connection at once. A connection serving a request is never
// closed; when every other one is, the new one waits for one of them to
// end, which WriteTimeout bounds.
//
// The http.Servers report each connection's state through track
// (http.Server.ConnState).
type connLimiter struct {
	max int
	log *slog.Logger
	// descs of the entpipe_http_* metrics (Collect)
	connectionsDesc, maxDesc, evictedDesc *prometheus.Desc

	mu      sync.Mutex
	changed *sync.Cond // a connection closed or changed state, or a listener closed
	conns   map[*limitedConn]struct{}
	evicted uint64
	warned  time.Time // last "limit reached" warning
}

// limitedListener is one listener of the server under the limiter.
type limitedListener struct {
	net.Listener
	l      *connLimiter
	closed bool // guarded by l.mu
}

// limitedConn is an accepted connection and what the limiter knows of it.
type limitedConn struct {
	net.Conn
	l     *connLimiter
	state http.ConnState // guarded by l.mu
	since time.Time      // when it entered state; guarded by l.mu
}

// evictionWarnEvery spaces the warnings logged while the limit is reached.
const evictionWarnEvery = time.Minute

func newConnLimiter(max int, log *slog.Logger) *connLimiter {
	defs := collector.MetricsByName(collector.Metrics())
	l := &connLimiter{max: max, log: log, conns: map[*limitedConn]struct{}{},
		connectionsDesc: newDesc(defs, collector.MetricHTTPConnections), maxDesc: newDesc(defs, collector.MetricHTTPMaxConnections),
		evictedDesc: newDesc(defs, collector.MetricHTTPEvicted)}
	l.changed = sync.NewCond(&l.mu)
	return l
}

// wrap puts ln under the limiter.
func (l *connLimiter) wrap(ln net.Listener) *limitedListener {
	return &limitedListener{Listener: ln, l: l}
}

// Accept accepts a connection, then makes room for it: at the limit, it
// closes another connection, or waits while every other one serves a
// request. At most max connections are open, and one more per listener
// waits here.
func (ll *limitedListener) Accept() (net.Conn, error) {
	c, err := ll.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l := ll.l
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.conns) >= l.max && !ll.closed {
		if v := l.victim(); v != nil {
			l.evict(v)
			continue
		}
		l.changed.Wait()
	}
	if ll.closed {
		_ = c.Close()
		return nil, net.ErrClosed
	}
	lc := &limitedConn{Conn: c, l: l, state: http.StateNew, since: time.Now()}
	l.conns[lc] = struct{}{}
	return lc, nil
}

// evict closes v to make room; the server's reader of v sees the close and
// ends the connection. l.mu is held.
func (l *connLimiter) evict(v *limitedConn) {
	delete(l.conns, v)
	_ = v.Conn.Close()
	l.evicted++
	if now := time.Now(); now.Sub(l.warned) >= evictionWarnEvery {
		l.warned = now
		l.log.Warn("HTTP connection limit reached: closing the longest-idle connections to accept new ones",
			"max_connections", l.max, "closed_total", l.evicted)
	}
}

// victim returns the connection idle for the longest time, else the oldest
// one that has not sent a request, else nil. l.mu is held.
func (l *connLimiter) victim() *limitedConn {
	var idle, silent *limitedConn
	for c := range l.conns {
		switch {
		case c.state == http.StateIdle && (idle == nil || c.since.Before(idle.since)):
			idle = c
		case c.state == http.StateNew && (silent == nil || c.since.Before(silent.since)):
			silent = c
		}
	}
	if idle != nil {
		return idle
	}
	return silent
}

// track records a state change reported by the http.Server. TLS
// connections arrive wrapped; their NetConn is ours.
func (l *connLimiter) track(c net.Conn, state http.ConnState) {
	if w, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = w.NetConn()
	}
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, open := l.conns[lc]; !open || lc.state == state {
		return
	}
	lc.state, lc.since = state, time.Now()
	l.changed.Broadcast()
}

// Close closes the listener and wakes its Accept waiting for room.
func (ll *limitedListener) Close() error {
	ll.l.mu.Lock()
	ll.closed = true
	ll.l.changed.Broadcast()
	ll.l.mu.Unlock()
	return ll.Listener.Close()
}

// Close forgets the connection, then closes it.
func (c *limitedConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.changed.Broadcast()
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// Describe implements prometheus.Collector.
func (l *connLimiter) Describe(ch chan<- *prometheus.Desc) {
	ch <- l.connectionsDesc
	ch <- l.maxDesc
	ch <- l.evictedDesc
}

// Collect implements prometheus.Collector.
func (l *connLimiter) Collect(ch chan<- prometheus.Metric) {
	counts := map[http.ConnState]int{http.StateNew: 0, http.StateActive: 0, http.StateIdle: 0, http.StateHijacked: 0}
	l.mu.Lock()
	for c := range l.conns {
		counts[c.state]++
	}
	evicted := l.evicted
	l.mu.Unlock()
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(l.connectionsDesc, prometheus.GaugeValue, float64(n), state.String())
	}
	ch <- prometheus.MustNewConstMetric(l.maxDesc, prometheus.GaugeValue, float64(l.max))
	ch <- prometheus.MustNewConstMetric(l.evictedDesc, prometheus.CounterValue, float64(evicted))
}
