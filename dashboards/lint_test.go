package dashboards

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/entpipe/entpipe/collector"
)

func TestUniqueUIDsAndTitles(t *testing.T) {
	uids, titles := map[string]bool{}, map[string]bool{}
	for _, b := range All() {
		if b.UID == "" || len(b.UID) > 40 || uids[b.UID] || titles[b.Title] {
			t.Errorf("board %q / %q: uid must be set, at most 40 characters, and uid and title unique", b.UID, b.Title)
		}
		uids[b.UID], titles[b.Title] = true, true
		if b.ID != 0 {
			t.Errorf("%s: numeric id %d; boards are identified by uid only", b.UID, b.ID)
		}
	}
}

// provisionedUIDs reads the datasource provisioning file and checks it
// declares what Datasources declares, with name equal to uid.
func provisionedUIDs(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile("../deploy/grafana/provisioning/datasources/entpipe.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Datasources []struct{ Name, UID, Type string } `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	uids := map[string]bool{}
	for _, d := range file.Datasources {
		if d.Name != d.UID {
			t.Errorf("provisioned datasource %q has uid %q: boards rely on name = uid", d.Name, d.UID)
		}
		uids[d.UID] = true
	}
	for _, d := range Datasources(DefaultTargets()) {
		if !uids[d.UID] || d.Name != d.UID {
			t.Errorf("datasource %q of the API provisioning is not in the provisioning file with name = uid", d.UID)
		}
	}
	return uids
}

// TestGoldenStructure checks the committed JSON the way Grafana will read
// it: every datasource reference resolves to a provisioned uid, no
// __inputs, id null, Paris time, and every graph panel drawable.
func TestGoldenStructure(t *testing.T) {
	uids := provisionedUIDs(t)
	for _, b := range All() {
		data, err := os.ReadFile(filepath.Join(goldenDir, FileName(b.UID)))
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		if id, ok := doc["id"]; !ok || id != nil || doc["timezone"] != "Europe/Paris" || doc["__inputs"] != nil {
			t.Errorf("%s: want \"id\": null, timezone Europe/Paris, no __inputs", b.UID)
		}
		refs := 0
		walk(doc, func(key string, v any) {
			if key != "datasource" || v == nil {
				return
			}
			refs++
			if s, _ := v.(string); !uids[s] && s != mixedUID {
				t.Errorf("%s: datasource %v is not provisioned", b.UID, v)
			}
		})
		if refs == 0 {
			t.Errorf("%s: no datasource reference found; the check looks at nothing", b.UID)
		}
		for _, p := range doc["panels"].([]any) {
			checkPanel(t, b.UID, p.(map[string]any))
		}
	}
}

func walk(v any, fn func(key string, v any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			fn(k, x)
			walk(x, fn)
		}
	case []any:
		for _, x := range v {
			walk(x, fn)
		}
	}
}

// checkPanel asserts what NewGraph's defaults get wrong, on the JSON.
func checkPanel(t *testing.T, uid string, p map[string]any) {
	t.Helper()
	where := uid + " / " + p["title"].(string)
	if d, _ := p["description"].(string); len(d) < 20 {
		t.Errorf("%s: a panel must describe the definition it shows", where)
	}
	if p["type"] != "graph" {
		return
	}
	legend, _ := p["legend"].(map[string]any)
	xaxis, _ := p["xaxis"].(map[string]any)
	yaxes, _ := p["yaxes"].([]any)
	_, colors := p["aliasColors"].(map[string]any)
	drawn := p["lines"] == true && p["linewidth"].(float64) >= 1 || p["bars"] == true
	if !drawn || !colors || legend["show"] != true || xaxis["show"] != true || len(yaxes) != 2 {
		t.Fatalf("%s: graph must draw lines (width ≥ 1) or bars, show x axis and legend, have two y axes and aliasColors", where)
	}
	left := yaxes[0].(map[string]any)
	if left["show"] != true || left["logBase"] != 1.0 || left["label"] == "" {
		t.Errorf("%s: left y axis must be shown, linear, labelled in French", where)
	}
	if _, ok := p["stack"].(bool); !ok {
		t.Errorf("%s: stacking must be explicit", where)
	}
}

// TestProfileLegends: stacked profile charts show the bulletin's legends.
func TestProfileLegends(t *testing.T) {
	var got []string
	for _, tg := range panelTargets(DailyByProfile().Panels[0]) {
		got = append(got, tg.Alias)
	}
	want := []string{"Élèves", "Parents", "Enseignants", "Personnels", "Invités", "Autres", "Anonymes"}
	if !slices.Equal(got, want) {
		t.Errorf("legends %v, want %v", got, want)
	}
}

var (
	fromRE  = regexp.MustCompile(`FROM "([^"]+)"`)
	identRE = regexp.MustCompile(`"([^"]+)"`)
)

// TestQueriesUseSchema checks every InfluxQL target against schema.go:
// the measurement exists and every quoted identifier is one of its tags or
// fields; and every query is in Paris time.
func TestQueriesUseSchema(t *testing.T) {
	schema := map[string][]string{}
	for _, m := range collector.Schema() {
		names := append([]string{}, m.Tags...)
		for f := range m.Fields {
			names = append(names, f)
		}
		schema[m.Name] = names
	}
	n := 0
	for _, b := range All() {
		for _, p := range b.Panels {
			for _, tg := range panelTargets(p) {
				if tg.Datasource != InfluxUID {
					continue
				}
				n++
				m := fromRE.FindStringSubmatch(tg.Query)
				if m == nil || schema[m[1]] == nil || !strings.HasSuffix(tg.Query, "tz('Europe/Paris')") {
					t.Errorf("%s / %s: unknown measurement or no tz('Europe/Paris'): %s", b.UID, p.Title, tg.Query)
					continue
				}
				for _, id := range identRE.FindAllStringSubmatch(tg.Query, -1) {
					if id[1] != m[1] && !slices.Contains(schema[m[1]], id[1]) {
						t.Errorf("%s / %s: %q is no tag or field of %s", b.UID, p.Title, id[1], m[1])
					}
				}
			}
		}
	}
	if n < 30 {
		t.Fatalf("only %d InfluxQL targets found", n)
	}
}
