package influx

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	http2 "github.com/influxdata/influxdb-client-go/v2/api/http"
)

// This file decides what a failed write means: retry (and after how long)
// or drop the refused points.

// Reasons of entpipe_influx_write_errors_total. Only "rejected" drops
// points; every other failure is retried until InfluxDB accepts the batch.
const (
	ReasonNetwork      = "network"      // connection refused, reset, DNS…
	ReasonTimeout      = "timeout"      // no answer within the timeout
	ReasonThrottled    = "throttled"    // 429
	ReasonServer       = "server"       // 5xx
	ReasonUnauthorized = "unauthorized" // 401, 403: token or permissions
	ReasonNotFound     = "not_found"    // 404: database, bucket or org missing (run `entpipe influx setup`)
	ReasonRejected     = "rejected"     // other 4xx: bad points, bisected and dropped
	ReasonSpool        = "spool"        // the spool could not be written (disk full, permissions)
)

// BeyondRetention reports whether reason, a rejection's as Sink.Rejected
// returns it, is InfluxDB refusing points older than the retention policy
// ("partial write: points beyond retention policy dropped=N"): the points
// are fine, the retention is too short for them.
func BeyondRetention(reason string) bool {
	return strings.Contains(reason, "beyond retention policy")
}

var droppedRe = regexp.MustCompile(`partial write: .*dropped=(\d+)`)

// droppedAll reports whether err is InfluxDB 1.x's partial write error
// saying all n points were dropped.
func droppedAll(err error, n int) bool {
	m := droppedRe.FindStringSubmatch(err.Error())
	return m != nil && m[1] == strconv.Itoa(n)
}

// classify maps a write error to a reason of MetricInfluxErrors.
func classify(err error) string {
	var he *http2.Error
	if errors.As(err, &he) && he.StatusCode != 0 {
		switch c := he.StatusCode; {
		case c == http.StatusTooManyRequests:
			return ReasonThrottled
		case c >= 500:
			return ReasonServer
		case c == http.StatusUnauthorized || c == http.StatusForbidden:
			return ReasonUnauthorized
		case c == http.StatusNotFound:
			return ReasonNotFound
		case c >= 400:
			return ReasonRejected
		default:
			return ReasonServer // 1xx/3xx: not a valid write answer
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ReasonTimeout
	}
	return ReasonNetwork
}

// backoff is the delay before retry number attempt+1: exponential from
// RetryInterval, capped at MaxRetryInterval, with jitter in [d/2, d] so that
// many entpipe instances do not retry in step; a Retry-After of the answer
// wins when longer.
func (s *Sink) backoff(attempt int, err error) time.Duration {
	d := s.cfg.RetryInterval << min(attempt, 30)
	if d <= 0 || d > s.cfg.MaxRetryInterval {
		d = s.cfg.MaxRetryInterval
	}
	d = d/2 + rand.N(d/2+1)
	var he *http2.Error
	if errors.As(err, &he) && he.RetryAfter > 0 {
		d = max(d, time.Duration(he.RetryAfter)*time.Second)
	}
	return d
}

// logRetry logs a failed delivery, at error level when it needs an
// operator (token, missing database), rate-limited.
func (s *Sink) logRetry(msg string, err error, retryIn time.Duration) {
	ok, suppressed := s.retryLog.allow()
	if !ok {
		return
	}
	level := slog.LevelWarn
	if r := classify(err); r == ReasonUnauthorized || r == ReasonNotFound {
		level = slog.LevelError
	}
	s.log.Log(context.Background(), level, msg, "err", err, "retry_in", retryIn, "suppressed", suppressed)
}

// rateLimit lets one log message through per period and counts the others.
type rateLimit struct {
	every time.Duration

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (r *rateLimit) allow() (ok bool, suppressed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if !r.last.IsZero() && now.Sub(r.last) < r.every {
		r.suppressed++
		return false, 0
	}
	r.last, suppressed, r.suppressed = now, r.suppressed, 0
	return true, suppressed
}
