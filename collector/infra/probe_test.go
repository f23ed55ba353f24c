package infra

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// loginPage answers like an ENT login page; /slow never answers before the
// client gives up.
func loginPage(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/slow":
		<-r.Context().Done()
	case "/maintenance":
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	default:
		fmt.Fprint(w, "<html><title>ENT 92 - Connexion</title><form>Identifiant</form></html>")
	}
}

// TestProbes checks success and each failure kind of a probe: the point is
// always emitted, with success 0 on failure, and Gather never fails for it.
func TestProbes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(loginPage))
	t.Cleanup(srv.Close)
	f := func(name string, pr Probe, wantSuccess, wantStatus int64) {
		t.Run(name, func(t *testing.T) {
			pr.Name = "login"
			cfg := Config{Site: collector.Site{Department: "92", ENT: "ent92"}, Probes: []Probe{pr},
				Timeout: 100 * time.Millisecond}
			s, stats := newSource(t, cfg)
			points, err := s.Gather(context.Background())
			if err != nil || len(points) != 1 {
				t.Fatalf("err %v, points %v; want one point and no error", err, points)
			}
			p := points[0]
			if p.Measurement != collector.MeasProbe || p.Tags[collector.TagTarget] != "login" || p.Tags[collector.TagENT] != "ent92" {
				t.Errorf("point %s %v, want ent_probe with target=login, ent=ent92", p.Measurement, p.Tags)
			}
			if p.Fields[collector.FieldSuccess] != wantSuccess || p.Fields[collector.FieldStatusCode] != wantStatus {
				t.Errorf("fields %v, want success %d, status_code %d", p.Fields, wantSuccess, wantStatus)
			}
			// The step clock moves 15 s per reading: start and end of the probe.
			if d := p.Fields[collector.FieldDurationSeconds]; d != 15.0 {
				t.Errorf("duration_seconds = %v, want 15 (one step of the test clock)", d)
			}
			if _, ok := p.Fields[collector.FieldTLSDaysLeft]; ok {
				t.Errorf("tls_days_left set on a plain HTTP probe")
			}
			if n := len(stats.Snapshot()); n != 0 {
				t.Errorf("probes created %d self-metrics, want none (the point is the measurement)", n)
			}
		})
	}
	f("success", Probe{URL: srv.URL + "/auth/login", BodyMatch: "Connexion"}, 1, 200)
	f("success without body match", Probe{URL: srv.URL + "/"}, 1, 200)
	f("wrong status", Probe{URL: srv.URL + "/maintenance"}, 0, 503)
	f("expected non-200 status", Probe{URL: srv.URL + "/maintenance", ExpectStatus: 503}, 1, 503)
	f("body mismatch", Probe{URL: srv.URL + "/auth/login", BodyMatch: "Bienvenue"}, 0, 200)
	f("timeout", Probe{URL: srv.URL + "/slow", Timeout: 50 * time.Millisecond}, 0, 0)
	f("connection refused", Probe{URL: "http://127.0.0.1:1/"}, 0, 0)
}

// TestProbeTLS checks tls_days_left against the test server's certificate.
func TestProbeTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(loginPage))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted case's handshake error
	srv.StartTLS()
	t.Cleanup(srv.Close)
	cfg := Config{Site: collector.Site{Department: "92", ENT: "ent92"},
		Probes: []Probe{{Name: "login", URL: srv.URL + "/auth/login", BodyMatch: "Connexion"}}}
	clock := stepClock()
	s, err := New("front92", cfg, Options{Client: srv.Client(), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	points, err := s.Gather(context.Background())
	if err != nil || len(points) != 1 {
		t.Fatalf("err %v, points %v", err, points)
	}
	// Days left as of the poll time, the point's time.
	if points[0].Time != t0 {
		t.Errorf("point time %v, want the poll time %v", points[0].Time, t0)
	}
	want := srv.Certificate().NotAfter.Sub(t0).Hours() / 24
	f := points[0].Fields
	if f[collector.FieldSuccess] != int64(1) || f[collector.FieldTLSDaysLeft] != want {
		t.Errorf("fields %v, want success 1 and tls_days_left %v", f, want)
	}

	// A client that does not trust the certificate fails the probe.
	s, err = New("front92", cfg, Options{Now: stepClock()})
	if err != nil {
		t.Fatal(err)
	}
	points, err = s.Gather(context.Background())
	if err != nil || points[0].Fields[collector.FieldSuccess] != int64(0) {
		t.Errorf("untrusted certificate: err %v, points %v; want success 0", err, points)
	}
}

// TestProbesKeepPointsWhenTargetsFail checks that a down node_exporter does
// not drop the probe points: the source stays up, the target is counted.
func TestProbesKeepPointsWhenTargetsFail(t *testing.T) {
	down := pages(t, "!down")
	login := httptest.NewServer(http.HandlerFunc(loginPage))
	t.Cleanup(login.Close)
	cfg := testConfig(down.URL)
	cfg.Probes = []Probe{{Name: "login", URL: login.URL}}
	s, stats := newSource(t, cfg)
	points, err := s.Gather(context.Background())
	if err != nil || len(points) != 1 || points[0].Measurement != collector.MeasProbe {
		t.Fatalf("err %v, points %v; want the probe point only", err, points)
	}
	id := "node_exporter/" + down.Listener.Addr().String()
	if n := stats.Counter(collector.MetricScrapeErrors, collector.LabelSource, "front92", collector.LabelTarget, id).Value(); n != 1 {
		t.Errorf("errors = %v, want 1", n)
	}
}
