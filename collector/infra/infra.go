package infra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// Options are the run-time dependencies of a Source; every field is
// optional.
type Options struct {
	// Client sends every request (nil: a fresh client). Timeouts come from
	// the config through contexts, so the client needs none of its own.
	Client *http.Client
	// Stats receives entpipe_scrape_errors_total and entpipe_scrape_up
	// per target (nil: a private Stats).
	Stats *collector.Stats
	// Log receives per-target failures at warn level (nil: discarded).
	Log *slog.Logger
	// Now is the clock of point times and rates (nil: time.Now).
	Now func() time.Time
}

// Source is a Gatherer: each Gather scrapes every node_exporter and
// web-server status target and runs every probe, concurrently, and returns
// infra_load points (one per host) and ent_probe points (one per probe).
//
// Rates come from the difference with the previous Gather, so the first
// Gather emits only levels (memory, load, connections). A target that fails
// is counted and logged, and the others' points are still returned; Gather
// returns an error (the source is down) only when it has nothing to return:
// every scrape target failed and no probe is configured. Gather calls are
// serialised; the Source is safe for concurrent use.
type Source struct {
	name    string
	site    collector.Site
	client  *http.Client
	log     *slog.Logger
	now     func() time.Time
	timeout time.Duration
	maxBody int64

	mu      sync.Mutex // serialises Gather: targets keep the previous scrape
	targets []*target
	probes  []*prober
}

// target is one scraped URL with the state its rates need.
type target struct {
	url    string
	host   string // host tag
	id     string // target label of the self-metrics: kind/host
	parse  func(body []byte, now time.Time) (map[string]any, error)
	errors *collector.Counter
	up     *collector.Gauge
}

// New checks cfg (after applying its defaults) and returns a Source named
// name (the source label of its self-metrics).
func New(name string, cfg Config, opts Options) (*Source, error) {
	if err := collector.Check(&cfg); err != nil {
		return nil, fmt.Errorf("infra %s: invalid config: %w", name, err)
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.Stats == nil {
		opts.Stats = collector.NewStats()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Source{name: name, site: cfg.Site, client: opts.Client, log: opts.Log, now: opts.Now,
		timeout: cfg.Timeout, maxBody: cfg.MaxBodySize}
	include := regexp.MustCompile(cfg.Interfaces.Include) // validated above
	exclude := regexp.MustCompile(cfg.Interfaces.Exclude)
	add := func(kind, u string, parse func([]byte, time.Time) (map[string]any, error)) {
		host := hostTag(u, cfg.HostLabels)
		id := kind + "/" + host
		s.targets = append(s.targets, &target{url: u, host: host, id: id, parse: parse,
			errors: opts.Stats.Counter(collector.MetricScrapeErrors, collector.LabelSource, name, collector.LabelTarget, id),
			up:     opts.Stats.Gauge(collector.MetricScrapeUp, collector.LabelSource, name, collector.LabelTarget, id)})
	}
	for _, u := range cfg.NodeExporter {
		n := &node{include: include, exclude: exclude}
		add("node_exporter", u, n.parse)
	}
	for _, u := range cfg.StubStatus {
		w := &webStatus{read: readStubStatus}
		add("stub_status", u, w.parse)
	}
	for _, u := range cfg.ApacheStatus {
		w := &webStatus{read: readApacheStatus}
		add("apache_status", u, w.parse)
	}
	for _, pr := range cfg.Probes {
		s.probes = append(s.probes, &prober{Probe: pr, match: regexp.MustCompile(pr.BodyMatch)})
	}
	return s, nil
}

// hostTag is the configured label of u, else its host:port.
func hostTag(u string, labels map[string]string) string {
	if l, ok := labels[u]; ok {
		return l
	}
	pu, err := url.Parse(u)
	if err != nil {
		return u // unreachable: URLs are validated
	}
	return pu.Host
}

// Gather implements collector.Gatherer.
func (s *Source) Gather(ctx context.Context) ([]collector.Point, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	fields := make([]map[string]any, len(s.targets))
	errs := make([]error, len(s.targets))
	probes := make([]collector.Point, len(s.probes))
	var wg sync.WaitGroup
	for i, t := range s.targets {
		wg.Go(func() { fields[i], errs[i] = s.scrape(ctx, t, now) })
	}
	for i, pr := range s.probes {
		wg.Go(func() { probes[i] = s.probe(ctx, pr, now) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err // shutting down: the failures are ours, not the targets'
	}

	var points []collector.Point
	byHost := map[string]int{} // host tag → index in points
	failed := 0
	for i, t := range s.targets {
		if errs[i] != nil {
			failed++
			t.errors.Inc()
			t.up.Set(0)
			continue
		}
		t.up.Set(1)
		if len(fields[i]) == 0 {
			continue
		}
		j, ok := byHost[t.host]
		if !ok {
			j = len(points)
			byHost[t.host] = j
			tags := s.site.Tags()
			tags[collector.TagHost] = t.host
			points = append(points, collector.Point{Measurement: collector.MeasInfraLoad, Tags: tags,
				Fields: map[string]any{}, Time: now})
		}
		for k, v := range fields[i] {
			points[j].Fields[k] = v
		}
	}
	if failed > 0 && failed == len(s.targets) && len(s.probes) == 0 {
		return nil, fmt.Errorf("infra %s: every target failed: %w", s.name, errors.Join(errs...))
	}
	for i, t := range s.targets {
		if errs[i] != nil {
			s.log.Warn("scrape failed", "source", s.name, "target", t.id, "err", errs[i])
		}
	}
	return append(points, probes...), nil
}

// scrape fetches one target and derives its fields.
func (s *Source) scrape(ctx context.Context, t *target, now time.Time) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.id, err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.id, redact(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: status %s", t.id, resp.Status)
	}
	body, truncated, err := readCapped(resp.Body, s.maxBody)
	if err != nil {
		return nil, fmt.Errorf("%s: read body: %w", t.id, redact(err))
	}
	if truncated {
		return nil, fmt.Errorf("%s: body larger than max_body_size (%d bytes)", t.id, s.maxBody)
	}
	f, err := t.parse(body, now)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.id, err)
	}
	return f, nil
}

// readCapped reads r up to max bytes and says whether more was left.
func readCapped(r io.Reader, max int64) (body []byte, truncated bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r, max+1))
	if int64(len(body)) > max {
		return body[:max], true, err
	}
	return body, false, err
}

// redact drops the URL from a client error: it may carry credentials or a
// query, and the target id already says which target failed.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
