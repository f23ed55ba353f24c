package dashboards

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeGrafana answers the few API calls provisioning makes the way Grafana
// 11–12 does: bearer or basic auth, JSON bodies decoded as Go does (field
// names in any case), folders by uid, datasources by uid, and the save
// rules of POST /api/dashboards/db — a numeric id designates the dashboard
// to replace, folderUid wins over folderId, overwrite lets a save take over
// a dashboard with the same uid or the same title in the folder, without it
// such a save is refused with 412.
type fakeGrafana struct {
	t        *testing.T
	token    string
	deny     map[string]int // path prefix → status forced for that path
	denyPage string         // when set, the forced answers are this text/html page (a proxy's), not JSON

	mu          sync.Mutex
	nextID      int
	folders     map[string]map[string]any // uid → folder
	datasources map[int]map[string]any    // id → datasource
	dashboards  map[int]*fakeBoard        // id → dashboard
	requests    []string                  // "METHOD /path"
}

type fakeBoard struct {
	uid, title string
	folderID   int
	version    int
	json       string // the dashboard as last saved
}

func newFakeGrafana(t *testing.T, token string) (*fakeGrafana, *httptest.Server) {
	g := &fakeGrafana{t: t, token: token, nextID: 1, deny: map[string]int{},
		folders: map[string]map[string]any{}, datasources: map[int]map[string]any{}, dashboards: map[int]*fakeBoard{}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, srv
}

// seed adds an unrelated dashboard the way a user would have made it.
func (g *fakeGrafana) seed(uid, title string, folderID int) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	id := g.nextID
	g.nextID++
	g.dashboards[id] = &fakeBoard{uid: uid, title: title, folderID: folderID, version: 1,
		json: fmt.Sprintf(`{"id":%d,"uid":%q,"title":%q,"panels":[]}`, id, uid, title)}
	return id
}

func (g *fakeGrafana) reply(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		g.t.Errorf("fake grafana: encode: %v", err)
	}
}

func msg(s string) map[string]any { return map[string]any{"message": s} }

func (g *fakeGrafana) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = append(g.requests, r.Method+" "+r.URL.Path)
	auth := r.Header.Get("Authorization") == "Bearer "+g.token
	if user, pass, ok := r.BasicAuth(); ok {
		auth = user+":"+pass == g.token
	}
	if !auth {
		g.reply(w, http.StatusUnauthorized, msg("Unauthorized"))
		return
	}
	for prefix, code := range g.deny {
		if strings.HasPrefix(r.URL.Path, prefix) {
			if g.denyPage != "" {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(code)
				_, _ = w.Write([]byte(g.denyPage))
				return
			}
			g.reply(w, code, msg(http.StatusText(code)))
			return
		}
	}
	var body map[string]any
	var raw []byte
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			g.reply(w, http.StatusUnsupportedMediaType, msg("bad content type "+ct))
			return
		}
		var err error
		if raw, err = io.ReadAll(r.Body); err == nil {
			err = json.Unmarshal(raw, &body)
		}
		if err != nil {
			g.reply(w, http.StatusBadRequest, msg("bad json"))
			return
		}
	}
	path := r.URL.Path
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/api/folders/"):
		if f, ok := g.folders[strings.TrimPrefix(path, "/api/folders/")]; ok {
			g.reply(w, 200, f)
		} else {
			g.reply(w, 404, msg("folder not found"))
		}
	case r.Method == http.MethodPost && path == "/api/folders":
		uid, title := body["uid"].(string), body["title"].(string)
		for _, f := range g.folders {
			if f["uid"] == uid || f["title"] == title {
				g.reply(w, 409, msg("a folder or dashboard in the general folder with the same name already exists"))
				return
			}
		}
		f := map[string]any{"id": g.nextID, "uid": uid, "title": title, "url": "/dashboards/f/" + uid}
		g.nextID++
		g.folders[uid] = f
		g.reply(w, 200, f)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/api/datasources/uid/"):
		for _, d := range g.datasources {
			if d["uid"] == strings.TrimPrefix(path, "/api/datasources/uid/") {
				g.reply(w, 200, d)
				return
			}
		}
		g.reply(w, 404, msg("Data source not found"))
	case r.Method == http.MethodPost && path == "/api/datasources":
		for _, d := range g.datasources {
			if d["name"] == body["name"] || d["uid"] == body["uid"] {
				g.reply(w, 409, msg("data source with the same name already exists"))
				return
			}
		}
		body["id"] = float64(len(g.datasources) + 100)
		g.datasources[len(g.datasources)+100] = body
		g.reply(w, 200, map[string]any{"id": body["id"], "message": "Datasource added", "name": body["name"]})
	case r.Method == http.MethodPut && strings.HasPrefix(path, "/api/datasources/uid/"):
		for id, d := range g.datasources {
			if d["uid"] == strings.TrimPrefix(path, "/api/datasources/uid/") {
				body["id"] = float64(id)
				g.datasources[id] = body
				g.reply(w, 200, msg("Datasource updated"))
				return
			}
		}
		g.reply(w, 404, msg("Data source not found"))
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/api/dashboards/uid/"):
		for _, d := range g.dashboards {
			if d.uid == strings.TrimPrefix(path, "/api/dashboards/uid/") {
				g.reply(w, 200, map[string]any{"dashboard": json.RawMessage(d.json), "meta": map[string]any{"folderId": d.folderID}})
				return
			}
		}
		g.reply(w, 404, msg("Dashboard not found"))
	case r.Method == http.MethodPost && path == "/api/dashboards/db":
		var cmd saveCommand
		if err := json.Unmarshal(raw, &cmd); err != nil {
			g.reply(w, http.StatusBadRequest, msg("bad request data"))
			return
		}
		g.saveDashboard(w, cmd)
	default:
		g.reply(w, 404, msg("Not found"))
	}
}

// saveCommand is Grafana's SaveDashboardCommand, as its handler binds the
// body (encoding/json: "FolderID" fills folderId).
type saveCommand struct {
	Dashboard map[string]any `json:"dashboard"`
	FolderID  int            `json:"folderId"`
	FolderUID string         `json:"folderUid"`
	Overwrite bool           `json:"overwrite"`
}

// saveDashboard follows Grafana's dashboard service: id first, then uid,
// then title within the folder.
func (g *fakeGrafana) saveDashboard(w http.ResponseWriter, cmd saveCommand) {
	dash, overwrite, folderID := cmd.Dashboard, cmd.Overwrite, cmd.FolderID
	if cmd.FolderUID != "" {
		f, ok := g.folders[cmd.FolderUID]
		if !ok {
			g.reply(w, 400, msg("folder not found"))
			return
		}
		folderID = f["id"].(int)
	} else if folderID != 0 && !g.folderExists(folderID) {
		g.reply(w, 400, msg("folder not found"))
		return
	}
	uid, _ := dash["uid"].(string)
	title, _ := dash["title"].(string)
	target := 0
	if id, _ := dash["id"].(float64); id != 0 {
		if _, ok := g.dashboards[int(id)]; !ok {
			g.reply(w, 404, msg("Dashboard not found"))
			return
		}
		target = int(id)
	}
	for id, d := range g.dashboards {
		sameUID := uid != "" && d.uid == uid
		sameTitle := d.title == title && d.folderID == folderID
		if (sameUID || sameTitle) && id != target {
			if !overwrite {
				g.reply(w, 412, map[string]any{"message": "A dashboard with the same name or uid already exists", "status": "name-exists"})
				return
			}
			if target == 0 {
				target = id
			}
		}
	}
	if target == 0 {
		target = g.nextID
		g.nextID++
		g.dashboards[target] = &fakeBoard{}
	}
	d := g.dashboards[target]
	dash["id"] = target
	raw, _ := json.Marshal(dash)
	d.uid, d.title, d.folderID, d.json = uid, title, folderID, string(raw)
	d.version++
	g.reply(w, 200, map[string]any{"id": target, "uid": uid, "url": "/d/" + uid, "status": "success", "version": d.version})
}

func (g *fakeGrafana) folderExists(id int) bool {
	for _, f := range g.folders {
		if f["id"] == id {
			return true
		}
	}
	return false
}
