package dashboards

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/dashboards/grafanatest"
)

func TestUniqueUIDsAndTitles(t *testing.T) {
	uids, titles := map[string]bool{}, map[string]bool{}
	for _, b := range boards(t) {
		if b.Uid == nil || len(*b.Uid) > 40 || uids[*b.Uid] || titles[*b.Title] {
			t.Errorf("board %v / %q: uid must be set, at most 40 characters, and uid and title unique", b.Uid, *b.Title)
			continue
		}
		uids[*b.Uid], titles[*b.Title] = true, true
		if b.Id != nil {
			t.Errorf("%s: numeric id %d; boards are identified by uid only", *b.Uid, *b.Id)
		}
	}
}

// provisioned reads a datasource provisioning file and checks it declares
// what Datasources declares, with GET queries; it returns the {type, uid}
// pairs ("type/uid").
func provisioned(t *testing.T, path string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Datasources []struct {
			Name, UID, Type string
			JSONData        map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	refs := map[string]bool{}
	for _, d := range file.Datasources {
		refs[d.Type+"/"+d.UID] = true
		for _, k := range []string{"httpMode", "httpMethod"} {
			if m, ok := d.JSONData[k]; ok && m != "GET" {
				t.Errorf("%s: datasource %q has %s %v; Grafana's proxy loses InfluxDB answers to POST, use GET", path, d.UID, k, m)
			}
		}
	}
	for _, d := range Datasources(DefaultTargets()) {
		if !refs[d.Type+"/"+d.UID] || d.Name != d.UID {
			t.Errorf("datasource %q of the API provisioning is not in %s", d.UID, path)
		}
		jd := d.JSONData.(map[string]any)
		if jd["httpMode"] != nil && jd["httpMode"] != "GET" || jd["httpMethod"] != nil && jd["httpMethod"] != "GET" {
			t.Errorf("datasource %q is provisioned through the API with %v; want GET", d.UID, jd)
		}
	}
	return refs
}

// TestBoardsReferenceProvisionedDatasources: every {type, uid} of every
// panel and target is a provisioned datasource (or Mixed), in the file and
// the compose provisioning, and both query with GET.
func TestBoardsReferenceProvisionedDatasources(t *testing.T) {
	refs := provisioned(t, "../deploy/grafana/provisioning/datasources/entpipe.yaml")
	compose := provisioned(t, "../deploy/compose/grafana/datasources.yaml")
	refs["datasource/"+mixedUID] = true
	n := 0
	for _, b := range boards(t) {
		for _, p := range panels(b) {
			check := func(typ, uid *string) {
				n++
				if typ == nil || uid == nil || !refs[*typ+"/"+*uid] || *uid != mixedUID && !compose[*typ+"/"+*uid] {
					t.Errorf("%s / %s: datasource %v/%v is not provisioned", *b.Uid, *p.Title, typ, uid)
				}
			}
			check(p.Datasource.Type, p.Datasource.Uid)
			for _, q := range influxTargets(p) {
				check(q.Datasource.Type, q.Datasource.Uid)
			}
			for _, q := range promTargets(p) {
				check(q.Datasource.Type, q.Datasource.Uid)
			}
		}
		for _, v := range b.Templating.List {
			check := v.Datasource
			if check == nil || *check.Uid != InfluxUID {
				t.Errorf("%s: variable %s does not read the InfluxDB datasource", *b.Uid, v.Name)
			}
		}
	}
	if n < 60 {
		t.Fatalf("only %d datasource references checked", n)
	}
}

// TestPanelsReadable: every panel describes its definition in French,
// counts are exact figures (no "1.80 K"), series whose number depends on
// the installation have a table legend bounded by the panel, sparse host
// samples are connected, and hours are never turned into days.
func TestPanelsReadable(t *testing.T) {
	for _, b := range boards(t) {
		for _, p := range panels(b) {
			where := *b.Uid + " / " + *p.Title
			if p.Description == nil || len(*p.Description) < 40 {
				t.Errorf("%s: a panel must describe the definition it shows", where)
			}
			unit := ""
			if p.FieldConfig.Defaults.Unit != nil {
				unit = *p.FieldConfig.Defaults.Unit
			}
			if slices.Contains([]string{"short", "h", "none"}, unit) && p.Type != "timeseries" || unit == "h" {
				t.Errorf("%s: unit %q rounds or converts; counts use %q", where, unit, unitCount)
			}
			if p.Type != "timeseries" {
				continue
			}
			many := false
			for _, q := range influxTargets(p) {
				many = many || strings.HasPrefix(q.Alias, "$tag_") || strings.Contains(q.Alias, " $tag_")
			}
			for _, q := range promTargets(p) {
				many = many || strings.Contains(*q.LegendFormat, "{{")
			}
			legend := p.Options.(*timeseriesOptions).Legend
			if many && (legend.DisplayMode != "table" || legend.Placement != "right") {
				t.Errorf("%s: one series per tag or label value needs a table legend at the right, got %s %s", where, legend.DisplayMode, legend.Placement)
			}
			custom := p.FieldConfig.Defaults.Custom.(*timeseriesFieldConfig)
			sparse := slices.ContainsFunc(influxTargets(p), func(q InfluxQuery) bool {
				return strings.Contains(q.Query, `"infra_load"`) || strings.Contains(q.Query, `"ent_probe"`)
			})
			if sparse && (custom.SpanNulls == nil || custom.SpanNulls.Float64 == nil || *custom.SpanNulls.Float64 < 15*60*1000) {
				t.Errorf("%s: host and probe samples are minutes apart: nulls must be connected (spanNulls ≥ 15 min)", where)
			}
		}
	}
}

// TestProfileLegends: stacked profile charts show the bulletin's legends.
func TestProfileLegends(t *testing.T) {
	b, err := DailyByProfile()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, q := range influxTargets(panels(b)[0]) {
		got = append(got, q.Alias)
	}
	want := []string{"Élèves", "Parents", "Enseignants", "Personnels", "Invités", "Autres", "Anonymes"}
	if !slices.Equal(got, want) {
		t.Errorf("legends %v, want %v", got, want)
	}
}

// TestQueriesUseSchema checks every InfluxQL target and variable query
// against schema.go: the measurement exists and every quoted identifier is
// one of its tags or fields; panel queries are in Paris time and filter on
// the board's variables where the measurement has those tags.
func TestQueriesUseSchema(t *testing.T) {
	fromRE, identRE := regexp.MustCompile(`FROM "([^"]+)"`), regexp.MustCompile(`"([^"]+)"`)
	schema := map[string][]string{}
	for _, m := range collector.Schema() {
		names := append([]string{}, m.Tags...)
		for f := range m.Fields {
			names = append(names, f)
		}
		schema[m.Name] = names
	}
	n := 0
	checkQuery := func(where, q string, panel bool, vars map[string]string) {
		n++
		m := fromRE.FindStringSubmatch(q)
		if m == nil || schema[m[1]] == nil || panel && !strings.HasSuffix(q, "tz('Europe/Paris')") {
			t.Errorf("%s: unknown measurement or no tz('Europe/Paris'): %s", where, q)
			return
		}
		for _, id := range identRE.FindAllStringSubmatch(q, -1) {
			if id[1] != m[1] && !slices.Contains(schema[m[1]], id[1]) {
				t.Errorf("%s: %q is no tag or field of %s", where, id[1], m[1])
			}
		}
		for _, tag := range []string{collector.TagDepartment, collector.TagENT} {
			_, hasVar := vars[tag]
			if panel && hasVar && slices.Contains(schema[m[1]], tag) && !strings.Contains(q, `"`+tag+`" =~ /^$`+tag+`$/`) {
				t.Errorf("%s: %s has the %s tag; the query must filter on $%s", where, m[1], tag, tag)
			}
		}
	}
	for _, b := range boards(t) {
		vars := variableQueries(b)
		for name, q := range vars {
			checkQuery(*b.Uid+" / $"+name, q, false, vars)
		}
		for _, p := range panels(b) {
			for _, q := range influxTargets(p) {
				checkQuery(*b.Uid+" / "+*p.Title, q.Query, true, vars)
			}
		}
	}
	if n < 40 {
		t.Fatalf("only %d InfluxQL queries found", n)
	}
}

// TestBreakdownPanelsMinInterval: a panel drawing a breakdown (ent_service,
// ent_requests, ent_request_duration, stored by ten-minute blocks) by
// $__interval has a min interval from which every $__interval Grafana can
// pick, whatever the range and the panel's width, is a whole number of
// blocks; the other panels have none of their own. The query test cannot
// see it: any interval returns the sums of the blocks it holds.
func TestBreakdownPanelsMinInterval(t *testing.T) {
	breakdowns := 0
	for _, b := range boards(t) {
		for _, p := range panels(b) {
			reads := false
			for _, q := range influxTargets(p) {
				for _, m := range collector.BreakdownMeasurements() {
					reads = reads || strings.Contains(q.Query, `FROM "`+m+`"`) && strings.Contains(q.Query, "GROUP BY time($__interval)")
				}
			}
			if !reads {
				if p.Interval != nil {
					t.Errorf("%s / %s: min interval %q on a panel without breakdowns", *b.Uid, *p.Title, *p.Interval)
				}
				continue
			}
			breakdowns++
			if p.Interval == nil {
				t.Errorf("%s / %s: no min interval", *b.Uid, *p.Title)
				continue
			}
			min, err := time.ParseDuration(*p.Interval)
			if err != nil {
				t.Fatalf("%s / %s: %v", *b.Uid, *p.Title, err)
			}
			to := time.Date(2020, 3, 30, 12, 0, 0, 0, time.UTC)
			for span := time.Hour; span <= 400*24*time.Hour; span += span / 7 {
				for _, width := range []int{200, 400, 700, 1000, 1500, 2500} {
					if iv := grafanatest.Interval(to.Add(-span), to, min, width); iv%collector.BreakdownBucket != 0 {
						t.Fatalf("%s / %s: over %v in %d points, $__interval %v is no whole number of %v blocks",
							*b.Uid, *p.Title, span, width, iv, collector.BreakdownBucket)
					}
				}
			}
		}
	}
	if breakdowns < 3 {
		t.Errorf("%d panels draw a breakdown by $__interval, want at least 3: the test checks nothing", breakdowns)
	}
}
