// Package dashboards builds entpipe's Grafana dashboards as code: the charts
// of the spring-2020 bulletin (in French, over the InfluxDB schema of
// collector/schema.go) and the boards IT operations watch (server load,
// pipeline health). It exports them as deterministic JSON for Grafana file
// provisioning and provisions them through the Grafana HTTP API.
//
// Boards are written in Grafana 12's dashboard model (schemaVersion 42)
// with the types of github.com/grafana/grafana-foundation-sdk, which is
// Grafana's own schema: only current core panels (timeseries, stat, bar
// gauge, table), datasources referenced by {type, uid}, and the
// department and ent variables read from InfluxDB. Every board has a fixed
// uid, Europe/Paris as its timezone and no numeric id: Grafana identifies
// them by uid only, so a new export upgrades installed boards in place.
package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// Board is a dashboard in the classic JSON model, the one file provisioning
// and POST /api/dashboards/db read in Grafana 11 and 12.
//
//lint:ignore SA1019 the SDK prefers dashboardv2, Grafana 12's experimental resource model, which neither file provisioning nor /api/dashboards/db of Grafana 11 read.
type Board = dashboard.Dashboard

// All returns every board in display order, freshly built: callers may
// modify them.
func All() ([]*Board, error) {
	var out []*Board
	for _, build := range []func() (*Board, error){
		Intraday, DailyByProfile, MonthlyVisits, Enseigno, ServerLoad, ServiceUsage, PipelineHealth,
	} {
		b, err := build()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// timeRange is a board's default range: fixed Paris days for the bulletin's
// charts, relative ranges for live boards.
type timeRange struct{ from, to, refresh string }

// builder lays panels out left to right on Grafana's 24-column grid and
// numbers them, so ids and positions are stable from one export to the
// next. It keeps the first error of a panel builder for done.
type builder struct {
	board        *Board
	x, y, rowMax uint32
	err          error
}

// newBoard returns an empty board in Paris time, with the given variables.
func newBoard(uid, title string, tags []string, r timeRange, vars ...cog.Builder[dashboard.VariableModel]) *builder {
	b := dashboard.NewDashboard() // schemaVersion 42: Grafana 12's model
	b.Uid, b.Title, b.Tags = &uid, &title, tags
	b.Timezone, b.WeekStart = ptr("Europe/Paris"), ptr("monday")
	b.Editable = ptr(true)
	b.GraphTooltip = ptr(dashboard.DashboardCursorSyncCrosshair)
	b.Time = &dashboard.DashboardDashboardTime{From: r.from, To: r.to}
	b.Timepicker = &dashboard.TimePickerConfig{RefreshIntervals: []string{"1m", "5m", "15m", "1h"}}
	if r.refresh != "" {
		b.Refresh = &r.refresh
	}
	bd := &builder{board: b}
	for _, v := range vars {
		m, err := v.Build()
		if err != nil {
			bd.fail(err)
			continue
		}
		b.Templating.List = append(b.Templating.List, m)
	}
	return bd
}

func (bd *builder) fail(err error) {
	if bd.err == nil {
		bd.err = fmt.Errorf("dashboards: board %s: %w", *bd.board.Uid, err)
	}
}

// add places the panel in a w×h cell after the previous one, wrapping to a
// new row when the 24 columns are full.
func (bd *builder) add(w, h uint32, pb cog.Builder[dashboard.Panel]) *builder {
	p, err := pb.Build()
	if err != nil {
		bd.fail(err)
		return bd
	}
	if bd.x+w > 24 {
		bd.x, bd.y, bd.rowMax = 0, bd.y+bd.rowMax, 0
	}
	p.GridPos = &dashboard.GridPos{X: bd.x, Y: bd.y, W: w, H: h}
	p.Id = ptr(uint32(len(bd.board.Panels) + 1))
	bd.board.Panels = append(bd.board.Panels, dashboard.PanelOrRowPanel{Panel: &p})
	bd.x += w
	bd.rowMax = max(bd.rowMax, h)
	return bd
}

// done returns the board, or the first error met while building it.
func (bd *builder) done() (*Board, error) {
	if bd.err != nil {
		return nil, bd.err
	}
	return bd.board, nil
}

func ptr[T any](v T) *T { return &v }

// Marshal renders a board as Grafana expects it in a provisioned file or an
// API call: keys sorted, two-space indentation, a final newline, and "id"
// null so that Grafana matches the board by uid, never by a numeric id that
// may belong to an unrelated dashboard.
func Marshal(b *Board) ([]byte, error) {
	uid := ""
	if b.Uid != nil {
		uid = *b.Uid
	}
	raw, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("dashboards: marshal %s: %w", uid, err)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("dashboards: marshal %s: %w", uid, err)
	}
	doc["id"] = nil
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("dashboards: marshal %s: %w", uid, err)
	}
	return out.Bytes(), nil
}

// datasourceRef is a {type, uid} reference, the only form Grafana 12 keeps.
func datasourceRef(typ, uid string) common.DataSourceRef {
	return common.DataSourceRef{Type: &typ, Uid: &uid}
}
