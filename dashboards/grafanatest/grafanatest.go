// Package grafanatest does, for tests, what Grafana 11 and 12 do to a
// board's queries before they reach InfluxDB or Prometheus: resolve the
// time range, compute $__interval, and expand the variables and macros. The
// boards' queries can then run against a real influxd or promtool exactly
// as Grafana would send them.
package grafanatest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Window is one look at a board: its range made absolute, the $__interval
// Grafana computes for it, and the selected values of each variable (All
// is every value).
type Window struct {
	From, To time.Time
	Interval time.Duration
	Vars     map[string][]string
}

// Range resolves a board's time range ("now-24h", "now" or an RFC 3339
// instant) with now pinned, so that tests never depend on the clock.
func Range(from, to string, now time.Time) (time.Time, time.Time, error) {
	parse := func(s string) (time.Time, error) {
		if s == "now" {
			return now, nil
		}
		if rel, ok := strings.CutPrefix(s, "now-"); ok && rel != "" {
			n, err := strconv.Atoi(rel[:len(rel)-1])
			unit, known := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[rel[len(rel)-1]]
			if err != nil || !known {
				return time.Time{}, fmt.Errorf("grafanatest: time %q: want now-<n>m|h|d", s)
			}
			return now.Add(-time.Duration(n) * unit), nil
		}
		return time.Parse(time.RFC3339, s)
	}
	f, err := parse(from)
	if err != nil {
		return f, f, err
	}
	t, err := parse(to)
	return f, t, err
}

// Interval is Grafana's $__interval: the range over the panel's data points
// (its width in pixels), rounded by Grafana's table (gtime's
// roundInterval), never below the datasource's timeInterval min.
func Interval(from, to time.Time, min time.Duration, maxDataPoints int) time.Duration {
	calc := max(to.Sub(from)/time.Duration(maxDataPoints), min)
	steps := []struct{ upTo, to time.Duration }{ // from 1 minute up
		{90 * time.Second, time.Minute}, {210 * time.Second, 2 * time.Minute}, {450 * time.Second, 5 * time.Minute},
		{750 * time.Second, 10 * time.Minute}, {1050 * time.Second, 15 * time.Minute}, {1500 * time.Second, 20 * time.Minute},
		{2700 * time.Second, 30 * time.Minute}, {5400 * time.Second, time.Hour}, {9000 * time.Second, 2 * time.Hour},
		{16200 * time.Second, 3 * time.Hour}, {32400 * time.Second, 6 * time.Hour}, {24 * time.Hour, 12 * time.Hour},
		{7 * 24 * time.Hour, 24 * time.Hour}, {21 * 24 * time.Hour, 7 * 24 * time.Hour},
	}
	for _, s := range steps {
		if calc <= s.upTo {
			return s.to
		}
	}
	return 30 * 24 * time.Hour
}

// formatInterval is Grafana's gtime.FormatInterval.
func formatInterval(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// multiValue writes the selection of a multi-value variable the way both
// the InfluxDB and the Prometheus datasources do in a query: one value
// regex-escaped, several as an alternative (a|b).
func multiValue(values []string) string {
	esc := make([]string, len(values))
	for i, v := range values {
		esc[i] = regexp.QuoteMeta(v)
	}
	if len(esc) == 1 {
		return esc[0]
	}
	return "(" + strings.Join(esc, "|") + ")"
}

// variables replaces the board variables of w.Vars; an unknown one is an
// error, as it would reach the database unexpanded.
func variables(q string, w Window) (string, error) {
	var err error
	// $name and ${name}; Grafana's own macros start with $__.
	out := regexp.MustCompile(`\$(\w+)|\$\{(\w+)\}`).ReplaceAllStringFunc(q, func(m string) string {
		name := strings.Trim(m, "${}")
		if strings.HasPrefix(name, "__") || name == "timeFilter" || name == "interval" {
			return m
		}
		vals, ok := w.Vars[name]
		if !ok || len(vals) == 0 {
			err = fmt.Errorf("grafanatest: variable $%s has no value in %q", name, q)
			return m
		}
		return multiValue(vals)
	})
	return out, err
}

// InfluxQL expands a raw InfluxQL query as Grafana does before sending it:
// the frontend replaces the board variables, then the backend
// (pkg/tsdb/influxdb, models/query.go) replaces $timeFilter, $interval,
// $__interval_ms and $__interval, in that order.
func InfluxQL(q string, w Window) (string, error) {
	q, err := variables(q, w)
	q = strings.ReplaceAll(q, "$timeFilter", fmt.Sprintf("time >= %dms and time <= %dms", w.From.UnixMilli(), w.To.UnixMilli()))
	q = strings.ReplaceAll(q, "$interval", formatInterval(w.Interval))
	q = strings.ReplaceAll(q, "$__interval_ms", strconv.FormatInt(w.Interval.Milliseconds(), 10))
	return strings.ReplaceAll(q, "$__interval", formatInterval(w.Interval)), err
}

// PromQL expands a PromQL expression: board variables, then
// $__rate_interval, at least four scrape intervals (scrape: the
// datasource's timeInterval) and one $__interval more.
func PromQL(expr string, w Window, scrape time.Duration) (string, error) {
	expr, err := variables(expr, w)
	rate := max(w.Interval+scrape, 4*scrape)
	return strings.ReplaceAll(expr, "$__rate_interval", fmt.Sprintf("%ds", int(rate.Seconds()))), err
}
