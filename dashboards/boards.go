// Package dashboards builds entpipe's Grafana dashboards as code: the charts
// of the spring-2020 bulletin (in French, over the InfluxDB schema of
// collector/schema.go) and the boards IT operations watch (server load,
// pipeline health). It exports them as deterministic JSON for Grafana file
// provisioning and provisions them through the Grafana HTTP API.
//
// Every board has a fixed uid, Europe/Paris as its timezone, datasources
// named by fixed uid (see InfluxUID) and no numeric id: Grafana identifies
// them by uid only. It is the only package that imports
// github.com/grafana-tools/sdk.
package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/grafana-tools/sdk"
)

// All returns every board in display order, freshly built: callers may
// modify them.
func All() []*sdk.Board {
	return []*sdk.Board{
		Intraday(),
		DailyByProfile(),
		MonthlyVisits(),
		Enseigno(),
		ServerLoad(),
		ServiceUsage(),
		PipelineHealth(),
	}
}

// timeRange is a board's default range: fixed Paris days for the bulletin's
// charts, relative ranges for live boards.
type timeRange struct{ from, to, refresh string }

// builder lays panels out left to right on Grafana's 24-column grid and
// numbers them, so ids and positions are stable from one export to the next.
type builder struct {
	board        *sdk.Board
	x, y, rowMax int
}

// newBoard returns an empty board. It does not use sdk.NewBoard, which
// draws a numeric id from a process-wide counter.
func newBoard(uid, title string, tags []string, r timeRange, vars ...sdk.TemplateVar) *builder {
	b := &sdk.Board{
		UID: uid, Title: title, Tags: tags,
		Style: "dark", Timezone: "Europe/Paris", Editable: true,
		SharedCrosshair: true, GraphTooltip: 1,
		Panels: []*sdk.Panel{}, Rows: []*sdk.Row{}, Links: []sdk.Link{},
		SchemaVersion: 27, // Grafana 7.5; later versions migrate forward
		Time:          sdk.Time{From: r.from, To: r.to},
		Timepicker: sdk.Timepicker{
			RefreshIntervals: []string{"30s", "1m", "5m", "15m", "1h"},
			TimeOptions:      []string{},
		},
		Templating: sdk.Templating{List: append([]sdk.TemplateVar{}, vars...)},
		Refresh:    &sdk.BoolString{Flag: false, Value: r.refresh},
	}
	b.Annotations.List = []sdk.Annotation{}
	return &builder{board: b}
}

// add places p in a w×h cell after the previous panel, wrapping to a new
// row when the 24 columns are full.
func (bd *builder) add(w, h int, p *sdk.Panel) *builder {
	if bd.x+w > 24 {
		bd.x, bd.y, bd.rowMax = 0, bd.y+bd.rowMax, 0
	}
	p.GridPos.X, p.GridPos.Y, p.GridPos.W, p.GridPos.H = ptr(bd.x), ptr(bd.y), ptr(w), ptr(h)
	p.Span = float32(w) / 2
	p.ID = uint(len(bd.board.Panels) + 1)
	bd.board.Panels = append(bd.board.Panels, p)
	bd.x += w
	bd.rowMax = max(bd.rowMax, h)
	return bd
}

// entVariable is the $ent variable: one ENT instance slug, as the "ent" tag
// holds it. Options are listed so the board opens on def without a query.
func entVariable(def string) sdk.TemplateVar {
	v := sdk.TemplateVar{
		Name: "ent", Label: "ENT", Type: "custom",
		Query:   "ent92,ecollege78,oze78",
		Refresh: sdk.BoolInt{Value: ptr(int64(0))},
		Current: sdk.Current{Text: &sdk.StringSliceString{Value: []string{def}, Valid: true}, Value: def},
	}
	for _, slug := range []string{"ent92", "ecollege78", "oze78"} {
		v.Options = append(v.Options, sdk.Option{Text: slug, Value: slug, Selected: slug == def})
	}
	return v
}

// Marshal renders a board as Grafana expects it in a provisioned file or an
// API call: keys sorted, two-space indentation, a final newline, and "id"
// null so that Grafana matches the board by uid, never by a numeric id that
// may belong to an unrelated dashboard.
func Marshal(b *sdk.Board) ([]byte, error) {
	raw, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("dashboards: marshal %s: %w", b.UID, err)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("dashboards: marshal %s: %w", b.UID, err)
	}
	doc["id"] = nil
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("dashboards: marshal %s: %w", b.UID, err)
	}
	return out.Bytes(), nil
}
