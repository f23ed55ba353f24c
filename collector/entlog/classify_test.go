package entlog

import (
	"slices"
	"testing"

	"github.com/entpipe/entpipe/collector"
)

func TestClassify(t *testing.T) {
	cfg := ParseConfig{HealthPaths: []string{"/health", "/status.json"}, BotMarkers: []string{"Zabbix"}}
	cfg.ApplyDefaults()
	c, err := NewClassifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := func(path, agent, want string) {
		t.Helper()
		r := Request{Path: []byte(path), UserAgent: []byte(agent)}
		for range 2 { // the second call answers from the verdict cache
			if got := c.Class(&r); got != want {
				t.Errorf("Class(%q, %q) = %s, want %s", path, agent, got, want)
			}
		}
	}
	f("/portal", ua, collector.ClassPage)
	f("/portal", "", collector.ClassBot)
	f("/portal", "-", collector.ClassBot)
	f("/portal", "Mozilla/5.0 (compatible; GoogleBot/2.1)", collector.ClassBot)
	f("/portal", "python-requests/2.23", collector.ClassBot)
	f("/portal", "Go-http-client/1.1", collector.ClassBot)
	f("/portal", "UptimeRobot/2.0", collector.ClassBot)
	f("/portal", "Zabbix agent", collector.ClassBot) // configured marker
	f("/portal", "WGET", collector.ClassBot)
	f("/portal", "Mozilla/5.0 Cubot", collector.ClassBot) // a marker at the very end
	f("/portal", "Mozilla/5.0 Cubo", collector.ClassPage)
	// Health before static, static before api, api before download.
	f("/health", ua, collector.ClassHealth)
	f("/status.json", ua, collector.ClassHealth)
	f("/health/deep", ua, collector.ClassPage)
	f("/health", "curl/7.68", collector.ClassBot)
	f("/static/app.JS", ua, collector.ClassStatic)
	f("/fonts/x.woff2", ua, collector.ClassStatic)
	f("/api/user.json", ua, collector.ClassStatic)
	f("/api/notifications", ua, collector.ClassAPI)
	f("/api/export.pdf", ua, collector.ClassAPI)
	f("/api", ua, collector.ClassPage)
	f("/docs/cours.PDF", ua, collector.ClassDownload)
	f("/media/podcast.mp3", ua, collector.ClassDownload)
	f("/v1.2/page", ua, collector.ClassPage)
	f("/file.pdf.html", ua, collector.ClassPage)
	f("/.well-known", ua, collector.ClassPage)
	f("/archive.tar.gz", ua, collector.ClassPage)
}

func TestBotCacheBounded(t *testing.T) {
	c, _ := NewClassifier(ParseConfig{})
	for i := range botCacheSize + 10 {
		c.IsBot([]byte{'a', byte(i), byte(i >> 8), byte(i >> 16)})
	}
	if len(c.bots) > botCacheSize {
		t.Errorf("cache holds %d verdicts, bound %d", len(c.bots), botCacheSize)
	}
	if !c.IsBot([]byte("crawler")) || c.IsBot([]byte("firefox")) {
		t.Error("wrong verdicts after the cache was cleared")
	}
}

func TestIsPageView(t *testing.T) {
	f := func(class, method string, status int, want bool) {
		t.Helper()
		r := Request{Method: []byte(method), Status: status}
		if got := IsPageView(&r, class); got != want {
			t.Errorf("IsPageView(%s %s %d) = %v", class, method, status, got)
		}
	}
	f(collector.ClassPage, "GET", 200, true)
	f(collector.ClassPage, "GET", 299, true)
	f(collector.ClassPage, "GET", 304, true)
	f(collector.ClassPage, "GET", 301, false)
	f(collector.ClassPage, "GET", 404, false)
	f(collector.ClassPage, "POST", 200, false)
	f(collector.ClassPage, "HEAD", 200, false)
	f(collector.ClassAPI, "GET", 200, false)
	f(collector.ClassStatic, "GET", 304, false)
}

func TestServices(t *testing.T) {
	s := NewServices(ParseConfig{Services: map[string]string{
		"/conversation": "messagerie", "/homeworks/": "cahier-de-textes", "/homeworks/print": "impression",
		"/blog": "blog", "/actualites": "blog"}})
	if got, want := s.Names(), []string{"blog", "cahier-de-textes", "impression", "messagerie", ServiceOther}; !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	f := func(path, want string) {
		t.Helper()
		if got := s.Service([]byte(path)); got != want {
			t.Errorf("Service(%q) = %s, want %s", path, got, want)
		}
		if got := s.Names()[s.Index([]byte(path))]; got != want {
			t.Errorf("Names()[Index(%q)] = %s, want %s", path, got, want)
		}
	}
	f("/conversation", "messagerie")
	f("/conversation/", "messagerie")
	f("/conversation/inbox/42", "messagerie")
	f("/conversations", ServiceOther)
	f("/homeworks", "cahier-de-textes")
	f("/homeworks/print/3", "impression")
	f("/homeworks/printer", "cahier-de-textes")
	f("/actualites/x", "blog")
	f("/", ServiceOther)
	f("", ServiceOther)
	root := NewServices(ParseConfig{Services: map[string]string{"/": "portail", "/blog": "blog"}})
	if got := root.Service([]byte("/anything")); got != "portail" {
		t.Errorf("root prefix: %s", got)
	}
	if got := NewServices(ParseConfig{}).Service([]byte("/blog")); got != ServiceOther {
		t.Errorf("no services: %s", got)
	}
}
