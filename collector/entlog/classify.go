package entlog

import (
	"bytes"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/entpipe/entpipe/collector"
)

// DefaultBotMarkers are the case-insensitive user-agent substrings of
// docs/design.md#audience-definitions rule 1; bot_markers adds to them.
func DefaultBotMarkers() []string {
	return []string{"bot", "crawl", "spider", "slurp", "curl", "wget", "python-requests",
		"go-http-client", "uptime", "pingdom", "monitor"}
}

// StaticExtensions and DownloadExtensions are the file extensions of the
// static and download classes (rule 1 of
// docs/design.md#audience-definitions), lowercase with the dot.
func StaticExtensions() []string {
	return []string{".js", ".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp",
		".woff", ".woff2", ".ttf", ".eot", ".map", ".txt", ".xml", ".json"}
}

// DownloadExtensions: see StaticExtensions.
func DownloadExtensions() []string {
	return []string{".pdf", ".doc", ".docx", ".odt", ".xls", ".xlsx", ".ppt", ".pptx", ".zip", ".mp3", ".mp4"}
}

// maxExt is the longest extension looked up (".woff2", ".pptx").
const maxExt = 8

// botCacheSize bounds the remembered user-agent verdicts (about 16 bytes
// each); a day of ENT traffic has a few thousand distinct user agents.
const botCacheSize = 1 << 14

// Classifier gives a parsed request its class (rule 1 of
// docs/design.md#audience-definitions: bot, health, static, api, download,
// page; first match wins, query strings ignored). Class does not allocate once warm.
//
// User agents repeat, so the bot verdict is remembered by a 64-bit hash of
// the user agent seeded per process (hash/maphash): the raw user agent is
// never kept, the hash is never exported, and the cache is cleared when it
// holds botCacheSize verdicts. Because of that cache a Classifier is not
// safe for concurrent use: one per source goroutine.
type Classifier struct {
	botFirst [256][]string        // lowercase bot markers by their first byte
	botPairs [1 << 16 / 64]uint64 // bitset of the lowercase first two bytes of the markers
	botShort bool                 // a one-byte marker exists: check botFirst at every byte
	health   map[string]bool
	api      [][]byte
	exts     map[string]string // extension → ClassStatic or ClassDownload
	seed     maphash.Seed
	bots     map[uint64]bool // bot verdict by seeded hash of the user agent
}

// NewClassifier builds the classifier of cfg (defaults applied).
func NewClassifier(cfg ParseConfig) (*Classifier, error) {
	c := &Classifier{health: map[string]bool{}, exts: map[string]string{},
		seed: maphash.MakeSeed(), bots: make(map[uint64]bool, botCacheSize)}
	for _, m := range append(DefaultBotMarkers(), cfg.BotMarkers...) {
		m = strings.ToLower(strings.TrimSpace(m))
		if m == "" {
			continue
		}
		if i := m[0]; !slices.Contains(c.botFirst[i], m) {
			c.botFirst[i] = append(c.botFirst[i], m)
		}
		if len(m) == 1 {
			c.botShort = true
		} else {
			pair := uint16(m[0])<<8 | uint16(m[1])
			c.botPairs[pair/64] |= 1 << (pair % 64)
		}
	}
	for _, p := range cfg.HealthPaths {
		c.health[p] = true
	}
	for _, p := range cfg.APIPrefixes {
		c.api = append(c.api, []byte(p))
	}
	for _, e := range StaticExtensions() {
		c.exts[e] = collector.ClassStatic
	}
	for _, e := range DownloadExtensions() {
		c.exts[e] = collector.ClassDownload
	}
	return c, nil
}

// Class returns the class of r, one of the collector.Class* constants.
func (c *Classifier) Class(r *Request) string {
	if c.IsBot(r.UserAgent) {
		return collector.ClassBot
	}
	if c.health[string(r.Path)] {
		return collector.ClassHealth
	}
	ext := c.extClass(r.Path)
	if ext == collector.ClassStatic {
		return ext
	}
	for _, p := range c.api {
		if bytes.HasPrefix(r.Path, p) {
			return collector.ClassAPI
		}
	}
	if ext != "" {
		return ext
	}
	return collector.ClassPage
}

// IsBot reports whether a user agent is empty ("-" included) or contains a
// bot marker, ignoring ASCII case.
func (c *Classifier) IsBot(ua []byte) bool {
	if len(ua) == 0 || len(ua) == 1 && ua[0] == '-' {
		return true
	}
	h := maphash.Bytes(c.seed, ua)
	if bot, ok := c.bots[h]; ok {
		return bot
	}
	if len(c.bots) >= botCacheSize {
		clear(c.bots)
	}
	bot := c.scanBot(ua)
	c.bots[h] = bot
	return bot
}

// scanBot looks for the markers in ua (not empty).
func (c *Classifier) scanBot(ua []byte) bool {
	// A bitset of the markers' first two bytes filters the positions where
	// a marker may start, so most bytes cost two loads and a bit test.
	prev := lower(ua[0])
	for i := 1; i <= len(ua); i++ {
		var next byte
		if i < len(ua) {
			next = lower(ua[i])
		}
		pair := uint16(prev)<<8 | uint16(next)
		if c.botShort || c.botPairs[pair/64]&(1<<(pair%64)) != 0 {
			for _, m := range c.botFirst[prev] {
				if len(ua)-i+1 >= len(m) && equalFold(ua[i-1:i-1+len(m)], m) {
					return true
				}
			}
		}
		prev = next
	}
	return false
}

// extClass returns the class of the extension of the last path segment
// (static, download or ""), compared in lowercase through a stack buffer:
// the map lookup with string(buf) does not allocate.
func (c *Classifier) extClass(path []byte) string {
	dot := bytes.LastIndexByte(path, '.')
	if dot < 0 || len(path)-dot > maxExt || bytes.IndexByte(path[dot:], '/') >= 0 {
		return ""
	}
	var buf [maxExt]byte
	n := 0
	for _, b := range path[dot:] {
		buf[n] = lower(b)
		n++
	}
	return c.exts[string(buf[:n])]
}

func lower(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// equalFold compares b with the lowercase ASCII string m, ignoring the case
// of b.
func equalFold(b []byte, m string) bool {
	for i := range len(m) {
		if lower(b[i]) != m[i] {
			return false
		}
	}
	return true
}

// IsPageView reports whether a request of the given class is a page view
// (docs/design.md#audience-definitions rule 2): class page, method GET,
// status 2xx or 304.
func IsPageView(r *Request, class string) bool {
	return class == collector.ClassPage && string(r.Method) == "GET" &&
		(r.Status >= 200 && r.Status <= 299 || r.Status == 304)
}
