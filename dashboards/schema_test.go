package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/text"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// grafanaInfluxQueryFields are the fields of Grafana's InfluxDB query model
// (InfluxQuery in public/app/plugins/datasource/influxdb/types.ts, Grafana
// 11 and 12) with the DataQuery ones: the foundation SDK has no InfluxDB
// query type, so targets are held to this list.
func grafanaInfluxQueryFields() []string {
	return []string{"refId", "hide", "key", "queryType", "datasource", "policy", "measurement", "resultFormat",
		"orderByTime", "tags", "groupBy", "select", "limit", "slimit", "tz", "fill", "rawQuery", "query", "alias",
		"adhocFilters", "rawSql", "withStreaming"}
}

// strictInfluxQuery decodes an InfluxDB target strictly: only Grafana's
// fields, a {type, uid} datasource, a raw query with a known result format.
func strictInfluxQuery(raw []byte) (variants.Dataquery, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	var errs cog.BuildErrors
	for k := range fields {
		if !slices.Contains(grafanaInfluxQueryFields(), k) {
			errs = append(errs, cog.MakeBuildErrors("InfluxQuery", fmt.Errorf("unexpected field '%s'", k))...)
		}
	}
	var q InfluxQuery
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		errs = append(errs, cog.MakeBuildErrors("InfluxQuery", err)...)
	}
	if q.Datasource.Type == nil || *q.Datasource.Type != "influxdb" || q.Datasource.Uid == nil ||
		!slices.Contains([]string{"time_series", "table"}, q.ResultFormat) || q.Validate() != nil {
		errs = append(errs, cog.MakeBuildErrors("InfluxQuery", fmt.Errorf("want a raw query, resultFormat and an influxdb {type, uid}: %s", raw))...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return q, nil
}

// registerSchemas makes the SDK's strict decoding know every panel and
// query type (its registry is process-wide; registering twice is harmless).
func registerSchemas() {
	plugins.RegisterDefaultPlugins()
	cog.NewRuntime().RegisterDataqueryVariant(variants.DataqueryConfig{
		Identifier:                 "influxdb",
		DataqueryUnmarshaler:       strictInfluxQuery,
		StrictDataqueryUnmarshaler: strictInfluxQuery,
	})
}

// strictOptions decodes a panel's options and custom field config with the
// panel package's strict types.
func strictOptions(kind string, options, custom json.RawMessage) error {
	var errs []error
	check := func(what string, into interface{ UnmarshalJSONStrict([]byte) error }, raw json.RawMessage) {
		if raw == nil {
			errs = append(errs, fmt.Errorf("%s: missing", what))
			return
		}
		if err := findings(into.UnmarshalJSONStrict(raw)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
	}
	switch kind {
	case "timeseries":
		check("options", &timeseries.Options{}, options)
		check("fieldConfig.defaults.custom", &timeseries.FieldConfig{}, custom)
	case "table":
		check("options", &table.Options{}, options)
		check("fieldConfig.defaults.custom", &table.FieldConfig{}, custom)
	case "stat":
		check("options", &stat.Options{}, options)
	case "bargauge":
		check("options", &bargauge.Options{}, options)
	case "text":
		check("options", &text.Options{}, options)
	default:
		errs = append(errs, fmt.Errorf("panel type %q is not a core panel of Grafana 11–12 we allow", kind))
	}
	return errors.Join(errs...)
}

// findings is the result of the SDK's strict decoding, nil when it found
// nothing: its decoders return an empty cog.BuildErrors, a non-nil error,
// on success.
func findings(err error) error {
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		return nil
	}
	return err
}

// TestGoldenStrictSchema is the acceptance of issue 17: every exported
// board decodes strictly with Grafana's own schema (the foundation SDK's
// types, Grafana 12's model), board, panels, options, custom field config
// and targets, with zero findings; datasources are {type, uid} on panels
// and targets.
func TestGoldenStrictSchema(t *testing.T) {
	registerSchemas()
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil || len(files) != 7 {
		t.Fatalf("goldens: %v %v", files, err)
	}
	panelsSeen := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		var board Board
		if err := findings(board.UnmarshalJSONStrict(data)); err != nil {
			t.Errorf("%s: dashboard.Dashboard.UnmarshalJSONStrict: %v", name, err)
		}
		if board.SchemaVersion < 39 {
			t.Errorf("%s: schemaVersion %d, want ≥ 39 (Grafana 11)", name, board.SchemaVersion)
		}
		var doc struct {
			Panels []json.RawMessage `json:"panels"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		for i, raw := range doc.Panels {
			panelsSeen++
			var p dashboard.Panel
			if err := findings(p.UnmarshalJSONStrict(raw)); err != nil {
				t.Errorf("%s panel %d: dashboard.Panel.UnmarshalJSONStrict: %v", name, i, err)
			}
			var parts struct {
				Options     json.RawMessage
				FieldConfig struct {
					Defaults struct{ Custom json.RawMessage }
				}
				Targets []struct{ Datasource json.RawMessage }
			}
			if err := json.Unmarshal(raw, &parts); err != nil {
				t.Fatal(err)
			}
			custom := parts.FieldConfig.Defaults.Custom
			if p.Type == "stat" || p.Type == "bargauge" || p.Type == "text" {
				custom = nil // these panels have no custom field config
			}
			if err := strictOptions(p.Type, parts.Options, custom); err != nil {
				t.Errorf("%s panel %d (%s): %v", name, i, p.Type, err)
			}
			if p.FieldConfig != nil {
				var fc dashboard.FieldConfigSource
				if err := findings(fc.UnmarshalJSONStrict(mustField(t, raw, "fieldConfig"))); err != nil {
					t.Errorf("%s panel %d: dashboard.FieldConfigSource.UnmarshalJSONStrict: %v", name, i, err)
				}
			}
			if p.Datasource == nil || p.Datasource.Type == nil || p.Datasource.Uid == nil {
				t.Errorf("%s panel %d: datasource %v is not a {type, uid} reference", name, i, p.Datasource)
			}
			for j, tg := range parts.Targets {
				var ref struct{ Type, UID string }
				if json.Unmarshal(tg.Datasource, &ref) != nil || ref.Type == "" || ref.UID == "" {
					t.Errorf("%s panel %d target %d: datasource %s is not a {type, uid} reference", name, i, j, tg.Datasource)
				}
			}
		}
	}
	if panelsSeen < 40 {
		t.Fatalf("only %d panels decoded; the check looks at too little", panelsSeen)
	}
}

// mustField is the raw JSON at a path of object keys.
func mustField(t *testing.T, raw json.RawMessage, path ...string) json.RawMessage {
	t.Helper()
	for _, k := range path {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%v at %s", err, k)
		}
		raw = m[k]
	}
	return raw
}

// TestStrictSchemaCatches makes sure the strict decoding finds what it must:
// a graph panel, a name-string datasource, an unknown option, an unknown
// target field. A check that cannot fail proves nothing.
func TestStrictSchemaCatches(t *testing.T) {
	registerSchemas()
	for name, panel := range map[string]string{
		"graph panel":      `{"type":"graph","title":"x","options":{},"fieldConfig":{"defaults":{},"overrides":[]}}`,
		"string source":    `{"type":"timeseries","title":"x","datasource":"entpipe-influxdb"}`,
		"unknown option":   `{"type":"stat","title":"x","options":{"colorMode":"value","graphMode":"none","justifyMode":"auto","textMode":"auto","wideLayout":true,"showPercentChange":false,"reduceOptions":{"calcs":[]},"percentChangeColorMode":"standard","orientation":"auto","sparkle":true}}`,
		"unknown target":   `{"type":"timeseries","title":"x","datasource":{"type":"influxdb","uid":"u"},"targets":[{"refId":"A","datasource":{"type":"influxdb","uid":"u"},"query":"q","rawQuery":true,"resultFormat":"time_series","httpMode":"POST"}]}`,
		"string target ds": `{"type":"timeseries","title":"x","datasource":{"type":"influxdb","uid":"u"},"targets":[{"refId":"A","datasource":"entpipe-influxdb","query":"q","rawQuery":true,"resultFormat":"time_series"}]}`,
	} {
		var p dashboard.Panel
		err := findings(p.UnmarshalJSONStrict([]byte(panel)))
		if err == nil && name == "graph panel" {
			var parts struct{ Options json.RawMessage }
			_ = json.Unmarshal([]byte(panel), &parts)
			err = strictOptions(p.Type, parts.Options, nil)
		}
		if err == nil {
			t.Errorf("%s: no finding", name)
		}
	}
}
