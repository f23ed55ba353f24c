package dashboards

import "github.com/grafana-tools/sdk"

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

// Datasources returns the two datasources every board refers to. Name and
// uid are equal on purpose: panels name their datasource by that string,
// which Grafana 7.5 resolves by name and Grafana ≥ 8.3 by uid.
//
// timeInterval is the smallest $__interval Grafana will use: InfluxDB holds
// one-minute buckets, Prometheus scrapes entpipe every 15 s.
func Datasources(t Targets) []sdk.Datasource {
	db := t.InfluxDatabase
	return []sdk.Datasource{
		{
			UID: InfluxUID, Name: InfluxUID, Type: "influxdb", Access: "proxy", URL: t.InfluxURL,
			Database: &db,
			JSONData: map[string]any{"dbName": db, "httpMode": "POST", "timeInterval": "1m", "version": "InfluxQL"},
		},
		{
			UID: PrometheusUID, Name: PrometheusUID, Type: "prometheus", Access: "proxy", URL: t.PrometheusURL,
			JSONData: map[string]any{"httpMethod": "POST", "timeInterval": "15s"},
		},
	}
}
