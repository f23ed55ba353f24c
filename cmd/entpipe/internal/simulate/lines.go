package simulate

import (
	"strconv"
	"time"
)

// page writes one page view of a session with what the browser fetches
// with it: the login POST and the assets of a first page, API calls, now
// and then a static file or a document download.
func (g *dayGen) page(e *event) {
	p := int(e.prof)
	if p == pAnonyme {
		path := [...]string{"/", "/pages/pub/accueil", "/actualites/pub", "/auth/forgot-password"}[g.rng.IntN(4)]
		if e.first {
			path = "/auth/login"
		}
		g.line(e.at, e.ip, "-", "GET", path, 200, int64(4000+g.rng.IntN(9000)), "-", g.uas[e.user], g.duration(0.05), "-")
		return
	}
	g.scratch = strconv.AppendInt(append(g.scratch[:0], 'u'), int64(p)*1_000_000+int64(e.user)+100_000, 10)
	user := string(g.scratch)
	ua := g.uas[mix(uint64(p)<<40|uint64(e.user))%uint64(len(g.uas))]
	profile := rawProfile(p)
	median := 0.08
	if g.lock {
		median = 0.15 // the platforms were strained in March 2020
	}
	referer := "https://" + g.ent.Host + "/timeline/timeline"
	var path string
	if e.first {
		g.line(e.at, e.ip, "-", "POST", "/auth/login", 302, 154, "https://"+g.ent.Host+"/auth/login", ua, g.duration(0.12), "-")
		referer, path, e.svc = "-", "/timeline/timeline", 0
	} else {
		// After the landing timeline, a service of the profile's mix; then
		// a few pages within it before moving on.
		if e.svc == 0 || g.rng.Float64() < 0.55 {
			e.svc = uint8(pick(g.rng, g.svcWeights[p]))
		}
		name := g.svcNames[e.svc]
		switch g.rng.IntN(3) {
		case 0:
			path = "/" + name + "/" + name
		case 1:
			path = "/" + name + "/view/" + strconv.Itoa(1000+g.rng.IntN(90000)) + "?tab=" + strconv.Itoa(g.rng.IntN(4))
		default:
			path = "/" + name + "/list"
		}
	}
	status, size := 200, int64(3000+g.rng.IntN(40000))
	switch x := g.rng.Float64(); {
	case x > 0.996:
		status, size = 500, 1200
	case x > 0.988:
		status, size = 404, 548
	case x > 0.975:
		status, size = 302, 154
	case x > 0.95:
		status, size = 304, 0
	}
	g.line(e.at, e.ip, user, "GET", path, status, size, referer, ua, g.duration(median), profile)

	svc := g.svcNames[e.svc]
	if g.rng.Float64() < 0.5 {
		g.line(e.at, e.ip, user, "GET", "/api/"+svc+"/items", 200, int64(200+g.rng.IntN(5000)), referer, ua, g.duration(median/3), profile)
	}
	assets := 0
	if e.first {
		assets = 4
	} else if g.rng.Float64() < 0.15 {
		assets = 1
	}
	for i := range assets {
		asset := [...]string{"/assets/js/app.3f2a9c.js", "/assets/themes/college/css/theme.css",
			"/assets/themes/college/img/logo.png", "/assets/fonts/roboto.woff2"}[i%4]
		status, size := 304, int64(0)
		if g.rng.Float64() < 0.4 {
			status, size = 200, int64(2000+g.rng.IntN(200_000))
		}
		g.line(e.at, e.ip, user, "GET", asset, status, size, referer, ua, g.duration(0.004), profile)
	}
	if g.rng.Float64() < 0.03 {
		g.line(e.at, e.ip, user, "GET", "/workspace/document/"+strconv.Itoa(g.rng.IntN(1_000_000))+".pdf", 200,
			int64(50_000+g.rng.IntN(2_000_000)), referer, ua, g.duration(0.2), profile)
	}
}

// junk writes one line that no parser should accept: a TLS handshake sent
// to the HTTP port, a line cut by a full disk, a date that does not exist.
func (g *dayGen) junk(at int64) {
	b := g.buf[:0]
	switch g.rng.IntN(3) {
	case 0:
		b = append(b, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x8c\xa1"...)
	case 1:
		b = appendIP(b, 0xCB007109)
		b = append(b, " - - ["...)
		b = append(b, g.stampOf(at)...)
		b = append(b, `] "GET /timeline/timel`...)
	default:
		b = append(b, `203.0.113.9 - - [31/Feb/2020:25:61:00 +0100] "GET / HTTP/1.1" 200 12 "-" "-" 0.001 "-"`...)
	}
	g.buf = append(b, '\n')
	g.write()
}

// line writes one line of the ent format: nginx combined, then
// $request_time and "$ent_profile".
func (g *dayGen) line(at int64, ip uint32, user, method, path string, status int, size int64, referer, ua string, rt float64, profile string) {
	b := appendIP(g.buf[:0], ip)
	b = append(b, " - "...)
	b = append(b, user...)
	b = append(b, " ["...)
	b = append(b, g.stampOf(at)...)
	b = append(b, `] "`...)
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, ` HTTP/1.1" `...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, size, 10)
	b = append(b, ` "`...)
	b = append(b, referer...)
	b = append(b, `" "`...)
	b = append(b, ua...)
	b = append(b, `" `...)
	b = strconv.AppendFloat(b, rt, 'f', 3, 64)
	b = append(b, ` "`...)
	b = append(b, profile...)
	g.buf = append(b, "\"\n"...)
	g.write()
}

func (g *dayGen) write() {
	if g.err == nil {
		_, g.err = g.w.Write(g.buf)
	}
	g.lines++
}

// stampOf formats the nginx $time_local of unix second at, in
// Europe/Paris with its offset of that instant; lines come in time order,
// so one formatting serves every line of the same second.
func (g *dayGen) stampOf(at int64) []byte {
	if at != g.stampSec || g.stamp == nil {
		g.stampSec = at
		g.stamp = time.Unix(at, 0).In(g.loc).AppendFormat(g.stamp[:0], "02/Jan/2006:15:04:05 -0700")
	}
	return g.stamp
}
