package dashboards

import (
	"errors"

	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
)

// InfluxQuery is an InfluxQL target in raw mode, as Grafana 11 and 12's
// InfluxDB datasource saves a hand-written query (the fields keep the names
// of its InfluxQuery model). The foundation SDK has no InfluxDB query type;
// this one plugs into its panels as a variants.Dataquery, and is its own
// builder.
type InfluxQuery struct {
	RefID        string               `json:"refId"`
	Datasource   common.DataSourceRef `json:"datasource"`
	Query        string               `json:"query"`
	RawQuery     bool                 `json:"rawQuery"`
	ResultFormat string               `json:"resultFormat"` // time_series or table
	Alias        string               `json:"alias,omitempty"`
}

// influxSeries is a time-series InfluxQL target. alias is the legend: $tag_x
// expands to the value of tag x of a GROUP BY.
func influxSeries(ref, query, alias string) InfluxQuery {
	return InfluxQuery{RefID: ref, Datasource: influxRef(), Query: query, RawQuery: true, ResultFormat: "time_series", Alias: alias}
}

// influxTable is an InfluxQL target answered as one table, tags as columns.
func influxTable(ref, query string) InfluxQuery {
	q := influxSeries(ref, query, "")
	q.ResultFormat = "table"
	return q
}

func (InfluxQuery) ImplementsDataqueryVariant() {}

// DataqueryType is the datasource plugin id.
func (InfluxQuery) DataqueryType() string { return "influxdb" }

// Validate says whether Grafana can run the target.
func (q InfluxQuery) Validate() error {
	if q.RefID == "" || q.Query == "" || !q.RawQuery {
		return errors.New("influxdb target: refId and a raw query are required")
	}
	return nil
}

// Equals compares two targets, as the SDK's types do.
func (q InfluxQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(InfluxQuery)
	return ok && o.RefID == q.RefID && o.Query == q.Query && o.RawQuery == q.RawQuery &&
		o.ResultFormat == q.ResultFormat && o.Alias == q.Alias && o.Datasource.Equals(q.Datasource)
}

// Build makes an InfluxQuery usable where the SDK's panel builders take a
// query builder.
func (q InfluxQuery) Build() (variants.Dataquery, error) { return q, q.Validate() }
