package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/entpipe/entpipe/collector"
	"github.com/entpipe/entpipe/exporters/influx/influxtest"
	"github.com/entpipe/entpipe/exporters/prom/promtest"
)

// pageViewCase is one kind of request of the Prometheus fixture and what the
// audience definitions (collector/entlog README) make of it.
type pageViewCase struct {
	method, path string
	status       int
	ua           string
	user, raw    string // $remote_user and "$ent_profile"
	pageView     bool
	profile      string // of the page view
	service      string
}

const browserUA = "Mozilla/5.0 (X11; Linux x86_64; rv:74.0) Gecko/20100101 Firefox/74.0"

var pageViewCases = []pageViewCase{
	{"GET", "/conversation/inbox", 200, browserUA, "u1", "ELEVE", true, "eleve", "messagerie"},
	{"GET", "/homeworks/list", 304, browserUA, "u2", "ENSEIGNANT", true, "enseignant", "cahier-de-textes"},
	{"GET", "/timeline/timeline", 200, browserUA, "u3", "National_TUT", true, "parent", "fil-de-nouveautes"},
	{"GET", "/accueil", 200, browserUA, "-", "-", true, "anonyme", "autre"},
	{"GET", "/assets/app.js", 200, browserUA, "u1", "ELEVE", false, "", ""},
	{"GET", "/api/messages", 200, browserUA, "u1", "ELEVE", false, "", ""},
	{"GET", "/conversation/inbox", 200, "Mozilla/5.0 (compatible; Googlebot/2.1)", "-", "-", false, "", ""},
	{"POST", "/conversation/send", 200, browserUA, "u1", "ELEVE", false, "", ""},
	{"GET", "/conversation/missing", 404, browserUA, "u2", "ENSEIGNANT", false, "", ""},
	{"GET", "/healthz", 200, browserUA, "-", "-", false, "", ""},
	{"GET", "/workspace/cours.pdf", 200, browserUA, "u3", "PARENT", false, "", ""},
}

// pageViewLogs writes ten minutes of ENT 92 requests (each case repeated a
// different number of times per minute), the sentinels and the end marker,
// and returns the log and the page views expected by "profile/service".
func pageViewLogs(t testing.TB) (*liveLog, map[string]int) {
	t.Helper()
	l := &liveLog{name: "ent92", department: "92", dir: t.TempDir()}
	want := map[string]int{}
	for minute := range 10 {
		sec := 0
		for i, c := range pageViewCases {
			for range (i+minute)%4 + 1 {
				line := fmt.Sprintf("203.0.113.%d - %s [30/Mar/2020:08:%02d:%02d +0200] \"%s %s HTTP/1.1\" %d 1234 \"-\" \"%s\" 0.050 \"%s\"\n",
					1+i, c.user, minute, sec, c.method, c.path, c.status, c.ua, c.raw)
				l.lines = append(l.lines, []byte(line))
				sec = (sec + 1) % 60
				if c.pageView {
					want[c.profile+"/"+c.service]++
				}
			}
		}
	}
	for _, line := range strings.SplitAfter(sentinelLines+markerLine, "\n") {
		if line != "" {
			l.lines = append(l.lines, []byte(line))
		}
	}
	l.advance(t, 1)
	return l, want
}

// TestIntegrationPrometheusScrapesRun is issue 5's acceptance: a real
// Prometheus scrapes a running `entpipe run` fed logs whose page views are
// known, and its API returns them in ent_page_views_total. And issue 15's:
// the scrape is OpenMetrics (Prometheus knows the units), no family is a
// rate, and every family has its help from the table (metadata API).
func TestIntegrationPrometheusScrapesRun(t *testing.T) {
	skipShort(t, "end-to-end: builds and runs the binary")
	promtest.Require(t, "prometheus")
	s := influxtest.Start(t)
	l, want := pageViewLogs(t)
	p := startRun(t, writeConfig(t, t.TempDir(), s.URL, s.Bucket, []*liveLog{l}), "--log.format", "logfmt")
	p.waitMetric("entpipe_lines_total", map[string]string{"result": "too_long"}, time.Minute, func(v float64) bool { return v >= 1 })

	ps := promtest.Start(t, p.addr)
	total := 0
	for key, n := range want {
		profile, service, _ := strings.Cut(key, "/")
		ps.WaitFor(fmt.Sprintf(`ent_page_views_total{job="entpipe",department="92",ent="ent92",profile=%q,service=%q}`, profile, service), float64(n), time.Minute)
		total += n
	}
	ps.WaitFor(`sum(ent_page_views_total{job="entpipe"})`, float64(total), time.Minute)
	t.Logf("Prometheus has ent_page_views_total = %d in %d series, as written in the logs", total, len(want))

	meta, err := ps.Metadata(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]collector.MetricDef{}
	for _, d := range collector.Metrics() {
		rows[strings.TrimSuffix(d.Name, "_total")] = d // OpenMetrics family names
	}
	checked := 0
	for name, ms := range meta {
		for _, m := range ms {
			d, ours := rows[name]
			switch {
			case strings.Contains(name, "per_second"):
				t.Errorf("%s: a rate exported", name)
			case len(m.Help) < 10:
				t.Errorf("%s: help %q", name, m.Help)
			case ours && (m.Help != d.Help || m.Type != d.Type.String() || m.Unit != d.Unit()):
				t.Errorf("%s: Prometheus has %+v, the table %s %q unit %q", name, m, d.Type, d.Help, d.Unit())
			case ours:
				checked++
			}
		}
	}
	if m := meta["entpipe_source_newest_event_timestamp_seconds"]; len(m) != 1 || m[0].Unit != "seconds" {
		t.Errorf("entpipe_source_newest_event_timestamp_seconds: metadata %+v, want unit seconds (an OpenMetrics scrape)", m)
	}
	if checked < 15 {
		t.Errorf("only %d families of the table in Prometheus's metadata", checked)
	}
	t.Logf("Prometheus's metadata: %d families, %d of them from the table with its help, type and unit, none a rate", len(meta), checked)
}

// TestIntegrationPromtoolChecksRunMetrics is issue 5's acceptance: after an
// import and a run of fixture logs, `promtool check metrics` finds nothing
// to say about a real /metrics scrape of `entpipe run`.
func TestIntegrationPromtoolChecksRunMetrics(t *testing.T) {
	skipShort(t, "end-to-end: builds and runs the binary")
	promtool := promtest.Require(t, "promtool")
	s := influxtest.Start(t)
	l, _ := pageViewLogs(t)
	config := writeConfig(t, t.TempDir(), s.URL, s.Bucket, []*liveLog{l})
	importAll(t, config, []*liveLog{l})
	p := startRun(t, config)
	p.waitMetric("entpipe_lines_total", map[string]string{"result": "too_long"}, time.Minute, func(v float64) bool { return v >= 1 })
	p.waitMetric("ent_page_views_total", nil, time.Minute, func(v float64) bool { return v > 0 })
	text, err := p.scrape()
	if err != nil {
		t.Fatal(err)
	}
	scrape := filepath.Join(t.TempDir(), "metrics.txt")
	if err := os.WriteFile(scrape, text, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("promtool check metrics on the scrape (kept in %s): %v\n%s", scrape, err, out)
	}
	t.Logf("promtool check metrics: nothing to report on %d bytes, %d lines of /metrics", len(text), bytes.Count(text, []byte("\n")))

	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]collector.MetricDef{}
	for _, d := range collector.Metrics() {
		rows[d.Name] = d
	}
	ours := 0
	for name, f := range families {
		d, ok := rows[name]
		switch {
		case strings.Contains(name, "per_second"):
			t.Errorf("%s: a rate exported", name)
		case len(f.GetHelp()) < 10 || strings.Contains(f.GetHelp(), "self-metric"):
			t.Errorf("%s: help %q", name, f.GetHelp())
		case !ok && !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") && !strings.HasPrefix(name, "promhttp_"):
			t.Errorf("%s: served, but not in collector.Metrics()", name)
		case ok && (f.GetHelp() != d.Help || !strings.EqualFold(f.GetType().String(), d.Type.String())):
			t.Errorf("%s: served as %s %q, the table says %s %q", name, f.GetType(), f.GetHelp(), d.Type, d.Help)
		case ok:
			ours++
		}
	}
	t.Logf("%d families, %d of them rows of collector.Metrics() with their help and type; every family has a help; none is a rate", len(families), ours)
}
