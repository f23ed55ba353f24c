package enseigno

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector/collectortest"
)

// exportServer serves an export with validators and records the
// conditional headers it receives.
type exportServer struct {
	body         []byte
	etag, lastMo string
	mu           sync.Mutex
	conditional  []string // If-None-Match|If-Modified-Since per request
}

func (e *exportServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.conditional = append(e.conditional, r.Header.Get("If-None-Match")+"|"+r.Header.Get("If-Modified-Since"))
	e.mu.Unlock()
	if r.Header.Get("If-None-Match") == e.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", e.etag)
	w.Header().Set("Last-Modified", e.lastMo)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Write(e.body)
}

func TestGatherConditional(t *testing.T) {
	rows := genFixture("92", day("2020-03-16"), 14)
	srv := &exportServer{body: defaultCSV(rows), etag: `"v1"`, lastMo: "Tue, 24 Mar 2020 18:00:00 GMT"}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	want, _ := importBytes(t, Config{}, Options{}, defaultCSV(rows))
	cfg := Config{URL: ts.URL + "/export.csv?key=secret"}
	opts := Options{StateDir: t.TempDir()}

	pts, err := newSource(t, cfg, opts).Gather(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := collectortest.LineProtocol(pts); got != want {
		t.Errorf("fetched points:\n%s\nwant:\n%s", got, want)
	}
	// A new source on the same state (a restart) asks conditionally.
	pts, err = newSource(t, cfg, opts).Gather(context.Background())
	if err != nil || len(pts) != 0 {
		t.Errorf("304: %d points, err %v", len(pts), err)
	}
	srv.etag = `"v2"`
	pts, err = newSource(t, cfg, opts).Gather(context.Background())
	if err != nil || len(pts) != 14*(8+1) /* 8 disciplines and all */ {
		t.Errorf("changed export: %d points, err %v", len(pts), err)
	}
	wantHeaders := []string{"|", `"v1"|Tue, 24 Mar 2020 18:00:00 GMT`, `"v1"|Tue, 24 Mar 2020 18:00:00 GMT`}
	if strings.Join(srv.conditional, "\n") != strings.Join(wantHeaders, "\n") {
		t.Errorf("conditional headers:\n%s\nwant:\n%s", strings.Join(srv.conditional, "\n"), strings.Join(wantHeaders, "\n"))
	}
}

func TestGatherFailures(t *testing.T) {
	good := defaultCSV(smallFixture())
	dir := t.TempDir()
	tokenFile, basicFile := filepath.Join(dir, "token"), filepath.Join(dir, "basic")
	writeFile(t, tokenFile, []byte("s3cret\n"))
	writeFile(t, basicFile, []byte("ent92:pa:ss\n"))
	authorized := func(r *http.Request) bool {
		u, p, ok := r.BasicAuth()
		return r.Header.Get("Authorization") == "Bearer s3cret" || ok && u == "ent92" && p == "pa:ss"
	}
	protected := func(w http.ResponseWriter, r *http.Request) {
		if !authorized(r) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write(good)
	}
	for _, c := range []struct {
		name    string
		cfg     Config
		handler http.HandlerFunc
		want    string // error substring, "" for success
	}{
		{"bearer token", Config{TokenFile: tokenFile}, protected, ""},
		{"basic auth", Config{BasicAuthFile: basicFile}, protected, ""},
		{"401", Config{}, protected, "401 Unauthorized (check token_file or basic_auth_file)"},
		{"500", Config{}, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}, "500 Internal Server Error"},
		{"timeout", Config{Timeout: 50 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // never answers; the client gives up
		}, "context deadline exceeded"},
		{"timeout in the body", Config{Timeout: 50 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(good)))
			w.Write(good[:100])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, "read body: context deadline exceeded"},
		{"truncated body", Config{}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(good)))
			w.Write(good[:len(good)/2])
		}, "read body: unexpected EOF"},
		{"every row bad", Config{}, func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(defaultHeader + "\nhier;92;Maths;1;2;3;4;5\n"))
		}, `every row of the export is bad, first: http://`},
		{"not an export", Config{}, func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("<html>maintenance</html>"))
		}, `missing "Date", "Discipline", every value column`},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := httptest.NewServer(c.handler)
			defer ts.Close()
			c.cfg.URL = ts.URL + "/export.csv?key=secret"
			stateDir := t.TempDir()
			src := newSource(t, c.cfg, Options{StateDir: stateDir})
			pts, err := src.Gather(context.Background())
			if c.want == "" {
				if err != nil || len(pts) != 9 {
					t.Fatalf("%d points, err %v", len(pts), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks the query string: %v", err)
			}
			if len(pts) != 0 {
				t.Errorf("%d points on failure", len(pts))
			}
			if st, _ := (stateFile{filepath.Join(stateDir, "enseigno-test.json")}).load(); st.ETag != "" || len(st.Cumulative) != 0 {
				t.Errorf("state saved on failure: %+v", st)
			}
		})
	}
}

// A cumulative export fetched on successive days continues from the
// baselines of the previous fetch.
func TestGatherCumulative(t *testing.T) {
	rows := genFixture("92", day("2020-03-01"), 6)
	want, _ := importBytes(t, Config{}, Options{}, defaultCSV(rows))
	cum := cumulate(rows) // 29 February is the baseline
	perDay := len(rows) / 6
	srv := &exportServer{body: defaultCSV(cum[:4*perDay]), etag: `"day3"`}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cfg, opts := Config{URL: ts.URL, Values: ValuesCumulative}, Options{StateDir: t.TempDir()}
	first, err := newSource(t, cfg, opts).Gather(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv.body, srv.etag = defaultCSV(cum[2*perDay:]), `"day6"` // overlaps days 2–3
	second, err := newSource(t, cfg, opts).Gather(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := collectortest.LineProtocol(append(first, second...)); got != want {
		t.Errorf("two fetches:\n%s\nwant:\n%s", got, want)
	}
}
