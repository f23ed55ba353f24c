package dashboards

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/entpipe/entpipe/exporters/influx/influxtest"
)

// TestProvisionNextToUnrelatedDashboards provisions twice into a Grafana
// that already holds dashboards 1, 2 and 3, and checks that they are never
// touched, that the second run updates in place, and what was sent.
func TestProvisionNextToUnrelatedDashboards(t *testing.T) {
	g, srv := newFakeGrafana(t, "s3cret")
	unrelated := map[int]string{}
	for _, u := range []string{"home", "ops-nginx", "mairie"} {
		id := g.seed(u, "Tableau "+u, 0)
		unrelated[id] = g.dashboards[id].json
	}
	p := &Provisioner{URL: srv.URL + "/", Token: "s3cret"}
	boards := boards(t)
	first, err := p.Provision(t.Context(), DefaultFolder(), Datasources(DefaultTargets()), boards)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 1+2+len(boards) || first[0].Verb != "created" || first[1].Verb != "created" || first[3].Verb != "created" {
		t.Fatalf("first run: %+v", first)
	}
	ids := map[string]int{}
	for id, d := range g.dashboards {
		ids[d.uid] = id
		if _, theirs := unrelated[id]; !theirs && (strings.Contains(d.json, `"datasource":"`) || !strings.Contains(d.json, `"schemaVersion":42`)) {
			t.Errorf("%s: saved without {type, uid} datasources or Grafana 12's schema", d.uid)
		}
	}
	second, err := p.Provision(t.Context(), DefaultFolder(), Datasources(DefaultTargets()), boards)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range second {
		if a.Verb == "created" {
			t.Errorf("second run created %s %s; provisioning must be idempotent", a.Kind, a.UID)
		}
	}
	if len(g.dashboards) != 3+len(boards) || len(g.folders) != 1 || len(g.datasources) != 2 {
		t.Fatalf("after two runs: %d dashboards, %d folders, %d datasources", len(g.dashboards), len(g.folders), len(g.datasources))
	}
	for id, before := range unrelated {
		if d := g.dashboards[id]; d.json != before || d.version != 1 || d.folderID != 0 {
			t.Errorf("unrelated dashboard %d was touched: %+v", id, d)
		}
	}
	folderID := g.folders["entpipe"]["id"].(int)
	for _, b := range boards {
		id := ids[*b.Uid]
		d := g.dashboards[id]
		if id == 0 || d.version != 2 || d.folderID != folderID || d.title != *b.Title {
			t.Errorf("%s: id %d, %+v; want the same id after both runs, version 2, in folder %d", *b.Uid, id, d, folderID)
		}
	}
	ds := g.datasources[100]
	jd, _ := ds["jsonData"].(map[string]any)
	if ds["uid"] != InfluxUID || ds["type"] != "influxdb" || ds["url"] != "http://127.0.0.1:8086" ||
		jd["dbName"] != "ent" || jd["httpMode"] != "GET" {
		t.Errorf("influx datasource as stored: %v", ds)
	}
	want := []string{"GET /api/folders/entpipe", "POST /api/folders", "GET /api/datasources/uid/entpipe-influxdb", "POST /api/datasources"}
	if got := g.requests[:4]; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("first requests %v, want %v", got, want)
	}
	if !slices.Contains(g.requests, "PUT /api/datasources/uid/entpipe-influxdb") {
		t.Errorf("the second run did not update the datasource in place: %v", g.requests)
	}
}

// TestProvisionErrors: every failure an operator can meet gives an error
// that says what to fix, and nothing unrelated is touched.
func TestProvisionErrors(t *testing.T) {
	f := func(name string, setup func(g *fakeGrafana), url func(base string) string, token string, wantErr ...string) {
		t.Run(name, func(t *testing.T) {
			g, srv := newFakeGrafana(t, "good")
			other := g.seed("theirs", "Usage par service", 0)
			if setup != nil {
				setup(g)
			}
			p := &Provisioner{URL: url(srv.URL), Token: token}
			_, err := p.Provision(t.Context(), DefaultFolder(), Datasources(DefaultTargets()), boards(t))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if d := g.dashboards[other]; d.version != 1 || d.uid != "theirs" {
				t.Errorf("unrelated dashboard touched: %+v", d)
			}
		})
	}
	same := func(u string) string { return u }
	f("bad token", nil, same, "bad", "401", "check -token-file")
	f("no token", nil, same, "", "401")
	f("editor cannot write datasources", func(g *fakeGrafana) { g.deny["/api/datasources"] = 403 }, same, "good",
		`datasource "entpipe-influxdb"`, "403", "Admin")
	f("wrong sub-path", nil, func(u string) string { return u + "/grafana" }, "good", "404", "sub-path")
	f("folder name taken", func(g *fakeGrafana) {
		g.folders["other"] = map[string]any{"id": 50, "uid": "other", "title": "entpipe"}
	}, same, "good", `folder "entpipe"`, "409")
	f("same title in our folder", func(g *fakeGrafana) {
		g.folders["entpipe"] = map[string]any{"id": 60, "uid": "entpipe", "title": "entpipe"}
		g.seed("mine", "Usage par service", 60)
	}, same, "good", `dashboard "entpipe-usage-services"`, "412", "already has this name")
	f("unreachable", nil, func(string) string { return "http://" + closedAddr(t) }, "good", "grafana unreachable at")
	f("proxy error page on save", func(g *fakeGrafana) {
		g.deny["/api/dashboards/db"], g.denyPage = http.StatusBadGateway, "<html><body>502 Bad Gateway</body></html>"
	}, same, "good", `dashboard "entpipe-niveau-acces-journee"`, "502", "Bad Gateway")
}

// closedAddr returns a loopback address that refuses connections: a proxy
// without server, which holds its port for the test (a port merely closed
// could be taken by another process meanwhile).
func closedAddr(t *testing.T) string {
	return influxtest.NewProxy(t, "").Addr
}

// TestProvisionBasicAuth: a "user:password" token goes as basic auth.
func TestProvisionBasicAuth(t *testing.T) {
	g, srv := newFakeGrafana(t, "admin:s3cret")
	p := &Provisioner{URL: srv.URL, Token: "admin:s3cret"}
	b, err := Intraday()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Provision(t.Context(), DefaultFolder(), nil, []*Board{b}); err != nil {
		t.Fatal(err)
	}
	if len(g.dashboards) != 1 || len(g.datasources) != 0 {
		t.Errorf("want one board and no datasource (nil skips them): %d, %d", len(g.dashboards), len(g.datasources))
	}
}
