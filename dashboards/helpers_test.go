package dashboards

import (
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// boards is All for tests.
func boards(t testing.TB) []*Board {
	t.Helper()
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// panels are a board's panels (the boards have no rows).
func panels(b *Board) []*dashboard.Panel {
	var out []*dashboard.Panel
	for _, p := range b.Panels {
		if p.Panel != nil {
			out = append(out, p.Panel)
		}
	}
	return out
}

func influxTargets(p *dashboard.Panel) []InfluxQuery {
	var out []InfluxQuery
	for _, q := range p.Targets {
		if iq, ok := q.(InfluxQuery); ok {
			out = append(out, iq)
		}
	}
	return out
}

func promTargets(p *dashboard.Panel) []prometheus.Dataquery {
	var out []prometheus.Dataquery
	for _, q := range p.Targets {
		if pq, ok := q.(prometheus.Dataquery); ok {
			out = append(out, pq)
		}
	}
	return out
}

// variableQueries are the InfluxQL queries of a board's variables.
func variableQueries(b *Board) map[string]string {
	out := map[string]string{}
	for _, v := range b.Templating.List {
		if v.Query != nil && v.Query.String != nil {
			out[v.Name] = *v.Query.String
		}
	}
	return out
}

// The panel packages' types, named for the assertions on built panels.
type (
	timeseriesOptions     = timeseries.Options
	timeseriesFieldConfig = timeseries.FieldConfig
)
