package dashboards

import (
	"github.com/grafana-tools/sdk"
	"github.com/grafana/grafana-foundation-sdk/go/common"
)

// The provisioned datasources' uids. Panels and targets reference them as
// {type, uid}; the names are equal to the uids so that an operator finds
// them by either in Grafana.
const (
	InfluxUID     = "entpipe-influxdb"
	PrometheusUID = "entpipe-prometheus"
	mixedUID      = "-- Mixed --" // Grafana's built-in datasource for panels mixing several
)

func influxRef() common.DataSourceRef { return datasourceRef("influxdb", InfluxUID) }
func promRef() common.DataSourceRef   { return datasourceRef("prometheus", PrometheusUID) }
func mixedRef() common.DataSourceRef  { return datasourceRef("datasource", mixedUID) }

// Targets says where the provisioned datasources point: InfluxDB's 1.x
// query endpoint (InfluxQL) with its database, and Prometheus.
type Targets struct {
	InfluxURL      string // e.g. http://127.0.0.1:8086
	InfluxDatabase string // "ent"; on InfluxDB 2.x, the DBRP-mapped name
	PrometheusURL  string // e.g. http://127.0.0.1:9090
}

// DefaultTargets are the local defaults, matching deploy/entpipe.example.yaml
// and deploy/grafana/provisioning/datasources/entpipe.yaml.
func DefaultTargets() Targets {
	return Targets{InfluxURL: "http://127.0.0.1:8086", InfluxDatabase: "ent", PrometheusURL: "http://127.0.0.1:9090"}
}

// Datasources returns the two datasources every board refers to.
//
// Both query with GET: issue 17's report (measured by its author on a real
// Grafana 7.5, not by us: no Grafana runs here) found that through
// Grafana's proxy InfluxDB 1.8 answered 7–10 % of POST panel loads with an
// empty body ("No data" at random; the same proxy error is reported
// upstream with Grafana 9), none of 192 with GET; our PromQL is short
// enough for a URL. timeInterval is the smallest
// $__interval Grafana will use: InfluxDB holds one-minute buckets,
// Prometheus scrapes entpipe every 15 s.
func Datasources(t Targets) []sdk.Datasource {
	return []sdk.Datasource{
		{
			UID: InfluxUID, Name: InfluxUID, Type: "influxdb", Access: "proxy", URL: t.InfluxURL,
			JSONData: map[string]any{"dbName": t.InfluxDatabase, "httpMode": "GET", "timeInterval": "1m", "version": "InfluxQL"},
		},
		{
			UID: PrometheusUID, Name: PrometheusUID, Type: "prometheus", Access: "proxy", URL: t.PrometheusURL,
			JSONData: map[string]any{"httpMethod": "GET", "timeInterval": "15s"},
		},
	}
}
