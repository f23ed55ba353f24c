package report

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/entpipe/entpipe/exporters/influx"
)

// Querier runs InfluxQL; influx.Querier is the production one.
type Querier interface {
	Query(ctx context.Context, influxQL string) ([]influx.Series, error)
}

// point is one row of an InfluxQL result: its time, the series' tags and
// the numeric columns (absent when null).
type point struct {
	t    time.Time
	tags map[string]string
	vals map[string]float64
}

// run executes q and flattens its series into points, times in loc.
func run(ctx context.Context, q Querier, loc *time.Location, influxQL string) ([]point, error) {
	series, err := q.Query(ctx, influxQL)
	if err != nil {
		return nil, err
	}
	var out []point
	for _, s := range series {
		for _, row := range s.Values {
			p := point{tags: s.Tags, vals: map[string]float64{}}
			for i, col := range s.Columns {
				if i >= len(row) || row[i] == nil {
					continue
				}
				switch v := row[i].(type) {
				case string:
					if col == "time" {
						if p.t, err = time.Parse(time.RFC3339Nano, v); err != nil {
							return nil, fmt.Errorf("influxql %q: time %q: %w", influxQL, v, err)
						}
						p.t = p.t.In(loc)
					}
				case json.Number:
					f, err := v.Float64()
					if err != nil {
						return nil, fmt.Errorf("influxql %q: %s %q: %w", influxQL, col, v, err)
					}
					p.vals[col] = f
				}
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// span is a half-open time range [from, to) of Europe/Paris days.
type span struct{ from, to time.Time }

// days returns the span of the civil dates first..last (inclusive) in loc.
func days(first, last time.Time, loc *time.Location) span {
	return span{
		time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, loc),
		time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, loc),
	}
}

// where renders the time condition of s.
func (s span) where() string {
	return fmt.Sprintf("time >= '%s' AND time < '%s'", s.from.UTC().Format(time.RFC3339), s.to.UTC().Format(time.RFC3339))
}

// steps returns the bucket starts of s every step (10 min), or every local
// day when step is 0, so that charts have every bucket even without data.
func (s span) steps(step time.Duration) []time.Time {
	var out []time.Time
	for t := s.from; t.Before(s.to); {
		out = append(out, t)
		if step == 0 {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location())
		} else {
			t = t.Add(step)
		}
	}
	return out
}

// quote renders an InfluxQL string literal (tag values are slugs, but a
// flag value must never break the query).
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// tz is the InfluxQL clause aligning GROUP BY time() on Paris days.
const tz = "tz('Europe/Paris')"

// index maps bucket starts to their row.
func index(times []time.Time) map[int64]int {
	m := make(map[int64]int, len(times))
	for i, t := range times {
		m[t.Unix()] = i
	}
	return m
}
