package entlog

import (
	"math"
	"time"

	"github.com/entpipe/entpipe/collector"
)

const (
	minuteNanos = int64(collector.MinuteBucket)
	blockNanos  = int64(collector.BreakdownBucket)
	// blockMinutes is the number of minutes in a block.
	blockMinutes = blockNanos / minuteNanos
)

// reqCell is one ent_requests series of a block.
type reqCell struct {
	Requests, Bytes, DurCount int64
	DurSum, DurMax            int64 // microseconds: integer sums do not depend on line order
}

// durCell is one ent_request_duration series of a block; Buckets are
// per-bucket counts, made cumulative when rendered. The last slot counts
// requests slower than the largest bound.
type durCell struct {
	Count   int64
	Sum     int64 // microseconds
	Buckets [collector.NumDurationBuckets + 1]int64
}

// minute holds the load curve of one UTC minute (Paris offsets are whole
// hours, so a UTC minute is a Paris minute), by index in collector's
// vocabularies: ent_traffic and ent_active. Delta is the change of the
// number of open visits at the start of the minute, summed into Open when
// the minute closes; until then Open is the running count last published.
// Dirty says the minute changed since its points were last rendered. Part
// of State: fields are exported for the checkpoint encoder.
type minute struct {
	Visits, PageViews [collector.NumProfiles]int64
	Delta, Open       int64
	Seen              bool // had a request or open visits: ent_active is written
	Dirty             bool
}

// block holds the breakdowns of one ten-minute block (collector.
// BreakdownBucket, aligned on UTC and so on Paris time): ent_service,
// ent_requests, ent_request_duration. Their series are many and sparse (a
// small ENT's minute spreads its few requests over dozens of them), so a
// minute bucket wrote almost a point a line, which bounded imports by
// InfluxDB's ingest (issue 16); a block writes a few times fewer points.
// Part of State: fields are exported for the checkpoint encoder.
type block struct {
	Services []int64 // [profile*services+service] page views
	Req      [collector.NumClasses][collector.NumStatusClasses]reqCell
	Dur      [collector.NumClasses]durCell
	Dirty    bool
}

// count adds a request to the block's sums: everything about it that does
// not depend on the order of lines (requests, bytes, durations, and a page
// view's count by profile and service; services is the length of the
// source's service vocabulary).
func (b *block) count(ev *event, bounds []float64, services int) {
	b.Dirty = true
	if ev.PageView {
		b.Services[int(ev.Profile)*services+int(ev.Service)]++
	}
	c := &b.Req[ev.Class][ev.Status]
	c.Requests++
	c.Bytes += ev.Bytes
	if !ev.HasDur {
		return
	}
	us := int64(math.Round(ev.Duration * 1e6))
	c.DurCount++
	c.DurSum += us
	c.DurMax = max(c.DurMax, us)
	d := &b.Dur[ev.Class]
	d.Count++
	d.Sum += us
	i := 0
	for i < len(bounds) && ev.Duration > bounds[i] {
		i++
	}
	d.Buckets[i]++
}

// takeDirty reports whether the minute changed since it was last rendered,
// and clears the mark.
func (m *minute) takeDirty() bool {
	d := m.Dirty
	m.Dirty = false
	return d
}

// takeDirty reports whether the block changed since it was last rendered,
// and clears the mark.
func (b *block) takeDirty() bool {
	d := b.Dirty
	b.Dirty = false
	return d
}

// count adds a request to the minute: a page view by profile, and the mark
// that ent_active is written for it.
func (m *minute) count(ev *event) {
	if ev.PageView {
		m.PageViews[ev.Profile]++
	} else if m.Seen {
		return
	}
	m.Seen, m.Dirty = true, true
}

// pointWriter renders minutes and visitor sets as points sharing the
// source's site tags: it turns the engine's indexes back into the tag
// values of collector's vocabularies and the source's services. The tag
// maps of every series are built once and shared by the points, which
// sinks only read (collector.Sink): rendering is most of an import's work
// per point when the ENT is small.
type pointWriter struct {
	site     collector.Site
	services []string
	bounds   []string // collector.DurationBucketFields()

	active   map[string]string
	traffic  []map[string]string   // [profile]
	service  [][]map[string]string // [profile][service]
	requests [][]map[string]string // [class][status class]
	duration []map[string]string   // [class]
	visitors [][]map[string]string // [profile][period]
}

func newPointWriter(site collector.Site, services []string) *pointWriter {
	w := &pointWriter{site: site, services: services, bounds: collector.DurationBucketFields()}
	w.active = w.tags()
	for _, prof := range collector.Profiles() {
		w.traffic = append(w.traffic, w.tags(collector.TagProfile, prof))
		var svc, per []map[string]string
		for _, s := range services {
			svc = append(svc, w.tags(collector.TagProfile, prof, collector.TagService, s))
		}
		for _, period := range collector.Periods() {
			per = append(per, w.tags(collector.TagProfile, prof, collector.TagPeriod, period))
		}
		w.service, w.visitors = append(w.service, svc), append(w.visitors, per)
	}
	for _, class := range collector.Classes() {
		var req []map[string]string
		for _, sc := range collector.StatusClasses() {
			req = append(req, w.tags(collector.TagClass, class, collector.TagStatusClass, sc))
		}
		w.requests, w.duration = append(w.requests, req), append(w.duration, w.tags(collector.TagClass, class))
	}
	return w
}

func (w *pointWriter) tags(kv ...string) map[string]string {
	t := w.site.Tags()
	for i := 0; i+1 < len(kv); i += 2 {
		t[kv[i]] = kv[i+1]
	}
	return t
}

// appendMinute renders the non-empty series of minute index mi.
func (w *pointWriter) appendMinute(out []collector.Point, mi int64, m *minute) []collector.Point {
	at := time.Unix(0, mi*minuteNanos).UTC()
	for p := range collector.NumProfiles {
		if m.Visits[p] > 0 || m.PageViews[p] > 0 {
			out = append(out, collector.Point{Measurement: collector.MeasTraffic, Time: at, Tags: w.traffic[p],
				Fields: map[string]any{collector.FieldVisits: m.Visits[p], collector.FieldPageViews: m.PageViews[p]}})
		}
	}
	if m.Seen {
		out = append(out, collector.Point{Measurement: collector.MeasActive, Time: at,
			Tags: w.active, Fields: map[string]any{collector.FieldOpenVisits: m.Open}})
	}
	return out
}

// appendBlock renders the non-empty series of block index bi.
func (w *pointWriter) appendBlock(out []collector.Point, bi int64, b *block) []collector.Point {
	return w.appendBreakdowns(out, time.Unix(0, bi*blockNanos).UTC(), b)
}

// appendBreakdowns renders the non-empty series of b at time at.
func (w *pointWriter) appendBreakdowns(out []collector.Point, at time.Time, b *block) []collector.Point {
	for p := range collector.NumProfiles {
		for s := range w.services {
			if n := b.Services[p*len(w.services)+s]; n > 0 {
				out = append(out, collector.Point{Measurement: collector.MeasService, Time: at, Tags: w.service[p][s],
					Fields: map[string]any{collector.FieldPageViews: n}})
			}
		}
	}
	for c := range collector.NumClasses {
		for s := range collector.NumStatusClasses {
			cell := b.Req[c][s]
			if cell.Requests == 0 {
				continue
			}
			f := make(map[string]any, 4)
			f[collector.FieldRequests], f[collector.FieldBytes] = cell.Requests, cell.Bytes
			if cell.DurCount > 0 {
				f[collector.FieldDurationSum] = seconds(cell.DurSum)
				f[collector.FieldDurationMax] = seconds(cell.DurMax)
			}
			out = append(out, collector.Point{Measurement: collector.MeasRequests, Time: at, Tags: w.requests[c][s], Fields: f})
		}
		if d := b.Dur[c]; d.Count > 0 {
			f := make(map[string]any, 2+len(w.bounds))
			f[collector.FieldDurationCount], f[collector.FieldDurationSumSeconds] = d.Count, seconds(d.Sum)
			cum := int64(0)
			for i, name := range w.bounds {
				cum += d.Buckets[i]
				f[name] = cum
			}
			out = append(out, collector.Point{Measurement: collector.MeasRequestDuration, Time: at, Tags: w.duration[c], Fields: f})
		}
	}
	return out
}

func seconds(us int64) float64 { return float64(us) / 1e6 }
