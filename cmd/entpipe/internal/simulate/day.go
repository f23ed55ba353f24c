package simulate

import (
	"bufio"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Event kinds of the day's schedule.
const (
	evSession = iota // a person's next page view
	evBot
	evHealth
	evJunk
)

// event is one scheduled request (or page view with its assets) of a day.
// Sessions reschedule themselves, so the schedule holds only the sessions
// in progress, never the whole day.
type event struct {
	at    int64  // unix second
	seq   uint64 // tie-break, so that the order is deterministic
	kind  uint8
	prof  uint8
	svc   uint8
	first bool
	pages int16 // page views left, this one included
	gap   int16 // value of pages at which a pause of more than 30 min comes first
	user  int32 // account number, or the user agent index for anonymous sessions
	ip    uint32
}

// dayGen writes the access log of one ENT for one Europe/Paris day.
type dayGen struct {
	ent   *ENT
	scale float64
	rng   *rand.Rand
	loc   *time.Location
	w     *bufio.Writer
	buf   []byte

	queue []event
	seq   uint64

	stampSec int64
	stamp    []byte
	lock     bool

	svcNames   []string
	svcWeights [4][]float64 // by profile index
	uas, bots  []string
	scratch    []byte
	lines      int64
	err        error // the first write error; generation continues to the end
}

// taskRand is the random source of one (ENT, day): independent of the
// order and parallelism of the generation, so a seed fixes every byte.
func taskRand(seed uint64, ent string, day time.Time) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(ent))
	return rand.New(rand.NewPCG(seed, h.Sum64()^uint64(day.Unix())))
}

// writeDay writes the log lines of ent for the civil date day to w, in time
// order, and returns how many it wrote.
func writeDay(w io.Writer, ent *ENT, day time.Time, loc *time.Location, scale float64, seed uint64) (int64, error) {
	g := &dayGen{ent: ent, scale: scale, rng: taskRand(seed, ent.Name, day), loc: loc,
		w: bufio.NewWriterSize(w, 256<<10), uas: userAgents(), bots: botAgents()}
	for _, s := range services() {
		g.svcNames = append(g.svcNames, s.name)
		for p := range g.svcWeights {
			g.svcWeights[p] = append(g.svcWeights[p], s.weights[p])
		}
	}
	g.run(day)
	if g.err != nil {
		return g.lines, g.err
	}
	return g.lines, g.w.Flush()
}

// dayPlan is the expected traffic of one ENT-day: visit arrivals per
// minute, from the calendar and the day's curve.
type dayPlan struct {
	start, end int64     // unix seconds of the Paris midnights
	arrivals   []float64 // expected sessions starting in each minute
	prof       dayProfile
}

// planDay computes the plan of ent on the civil date day at scale.
func planDay(ent *ENT, day time.Time, loc *time.Location, scale float64) dayPlan {
	p := dayPlan{
		start: time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc).Unix(),
		end:   time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc).Unix(),
		prof:  profileOf(day),
	}
	curve := hourly(p.prof.kind)
	p.arrivals = make([]float64, (p.end-p.start)/60) // 1380 minutes on 29 March 2020, 1500 on 25 October
	var total float64
	for i := range p.arrivals {
		t := time.Unix(p.start+int64(i)*60, 0).In(loc)
		p.arrivals[i] = rate(&curve, t.Hour()*60+t.Minute())
		total += p.arrivals[i]
	}
	ref := ent.SchoolDay
	if p.prof.lock {
		ref = ent.Lockdown
	}
	// Sessions stand for counted visits: the visits split by a long pause
	// and the sessions merged by the visit rule about cancel out
	// (TestCalibration measures the net).
	sessions := ref * p.prof.factor * scale
	for i := range p.arrivals {
		p.arrivals[i] *= sessions / total
	}
	return p
}

func (g *dayGen) run(day time.Time) {
	plan := planDay(g.ent, day, g.loc, g.scale)
	start, end, prof := plan.start, plan.end, plan.prof
	g.lock = prof.lock
	minutes := len(plan.arrivals)
	shares := profileShares(prof.lock)
	botRate := (0.05 + 0.4*g.scale) * 1440 / float64(minutes)
	for i, lambda := range plan.arrivals {
		m := start + int64(i)*60
		for range poisson(g.rng, lambda) {
			g.newSession(m+g.rng.Int64N(60), pick(g.rng, shares[:]))
		}
		for range poisson(g.rng, botRate/1440) {
			g.push(event{at: m + g.rng.Int64N(60), kind: evBot})
		}
		if g.rng.Float64() < 4.0/float64(minutes) {
			g.push(event{at: m + g.rng.Int64N(60), kind: evJunk})
		}
		g.push(event{at: m + 5, kind: evHealth})
		for len(g.queue) > 0 && g.queue[0].at < m+60 {
			e := g.pop()
			g.emit(&e, end)
		}
	}
}

// newSession schedules the first page view of a session of profile p.
func (g *dayGen) newSession(at int64, p int) {
	e := event{at: at, kind: evSession, prof: uint8(p), first: true}
	if p == pAnonyme {
		e.pages = int16(1 + g.rng.IntN(3))
		e.ip = 0xC6120000 | g.rng.Uint32()&0x1ffff // 198.18.0.0/15
		e.user = int32(g.rng.IntN(len(g.uas)))
		g.push(e)
		return
	}
	mean := 4.5
	if g.lock {
		mean = 6
	}
	e.pages = int16(min(1+int(g.rng.ExpFloat64()*mean), 80))
	if e.pages > 1 && g.rng.Float64() < 0.04 {
		e.gap = int16(1 + g.rng.IntN(int(e.pages)-1))
	}
	accounts := max(int(float64(g.ent.Accounts[p])*g.scale), 20)
	e.user = int32(g.rng.IntN(accounts))
	h := mix(uint64(p)<<40 | uint64(e.user))
	e.ip = 0x64400000 | uint32(h)&0x3fffff // 100.64.0.0/10
	g.push(e)
}

func (g *dayGen) emit(e *event, end int64) {
	switch e.kind {
	case evBot:
		paths := [...]string{"/", "/robots.txt", "/auth/login", "/sitemap.xml", "/blog/pub/actualites-du-college", "/pages/pub/accueil"}
		g.line(e.at, 0xCB007100|uint32(g.rng.IntN(250)), "-", "GET", paths[g.rng.IntN(len(paths))], 200,
			int64(800+g.rng.IntN(20000)), "-", g.bots[g.rng.IntN(len(g.bots))], g.duration(0.03), "-")
	case evHealth:
		g.line(e.at, 0x0A000002, "-", "GET", "/healthz", 200, 2, "-", "kube-probe/1.17", 0.001, "-")
	case evJunk:
		g.junk(e.at)
	case evSession:
		g.page(e)
		e.pages--
		if e.pages <= 0 {
			return
		}
		dt := 2 + int64(g.rng.ExpFloat64()*50)
		if e.pages == e.gap {
			dt = 31*60 + g.rng.Int64N(60*60)
		}
		e.at += dt
		e.first = false
		if e.at < end { // sessions end at midnight with the day's file
			g.push(*e)
		}
	}
}

// poisson draws a Poisson variate: Knuth's method for small means, the
// normal approximation above 30.
func poisson(r *rand.Rand, l float64) int {
	if l < 30 {
		limit, p, k := math.Exp(-l), r.Float64(), 0
		for p > limit {
			p *= r.Float64()
			k++
		}
		return k
	}
	return max(0, int(math.Round(l+math.Sqrt(l)*r.NormFloat64())))
}

// pick returns an index drawn with the given weights.
func pick(r *rand.Rand, weights []float64) int {
	var sum float64
	for _, w := range weights {
		sum += w
	}
	x := r.Float64() * sum
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// mix is splitmix64's finaliser: a stable pseudo-random address and
// browser per account.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func (g *dayGen) duration(median float64) float64 {
	return median * math.Exp(0.6*g.rng.NormFloat64())
}

// The schedule is a binary min-heap on (at, seq), written out rather than
// through container/heap to keep events unboxed.
func (g *dayGen) less(i, j int) bool {
	a, b := &g.queue[i], &g.queue[j]
	return a.at < b.at || a.at == b.at && a.seq < b.seq
}

func (g *dayGen) push(e event) {
	g.seq++
	e.seq = g.seq
	g.queue = append(g.queue, e)
	for i := len(g.queue) - 1; i > 0; {
		parent := (i - 1) / 2
		if !g.less(i, parent) {
			break
		}
		g.queue[i], g.queue[parent] = g.queue[parent], g.queue[i]
		i = parent
	}
}

func (g *dayGen) pop() event {
	q := g.queue
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	g.queue = q[:n]
	for i := 0; ; {
		l, small := 2*i+1, i
		if l < n && g.less(l, small) {
			small = l
		}
		if l+1 < n && g.less(l+1, small) {
			small = l + 1
		}
		if small == i {
			break
		}
		g.queue[i], g.queue[small] = g.queue[small], g.queue[i]
		i = small
	}
	return top
}

// appendIP appends a dotted IPv4 address.
func appendIP(b []byte, ip uint32) []byte {
	for i := 3; i >= 0; i-- {
		b = strconv.AppendUint(b, uint64(ip>>(8*i)&0xff), 10)
		if i > 0 {
			b = append(b, '.')
		}
	}
	return b
}
