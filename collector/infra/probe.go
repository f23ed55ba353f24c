package infra

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// prober is one configured probe with its compiled body match.
type prober struct {
	Probe
	match *regexp.Regexp // matches everything when BodyMatch is empty
}

// probe GETs the probe's URL on a fresh connection (so the duration
// includes connecting and the TLS handshake, as a user's first request
// does) and returns its ent_probe point. A failure is data, success 0,
// never an error: the point is what shows an ENT down.
func (s *Source) probe(ctx context.Context, pr *prober, now time.Time) collector.Point {
	tags := s.site.Tags()
	tags[collector.TagTarget] = pr.Name
	fields := map[string]any{collector.FieldSuccess: int64(0), collector.FieldStatusCode: int64(0)}
	start := s.now()
	err := s.get(ctx, pr, fields, now)
	fields[collector.FieldDurationSeconds] = max(0, s.now().Sub(start).Seconds())
	switch {
	case err != nil && ctx.Err() == nil:
		s.log.Warn("probe failed", "source", s.name, "target", pr.Name, "err", err)
	case err == nil:
		fields[collector.FieldSuccess] = int64(1)
	}
	return collector.Point{Measurement: collector.MeasProbe, Tags: tags, Fields: fields, Time: now}
}

// get runs the request, fills status_code and tls_days_left (as of now, the
// point's time, so that the point's time plus tls_days_left is the
// certificate's NotAfter, which the Prometheus exporter serves), and says
// why the probe failed, if it did.
func (s *Source) get(ctx context.Context, pr *prober, fields map[string]any, now time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, pr.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pr.URL, nil)
	if err != nil {
		return err
	}
	req.Close = true
	resp, err := s.client.Do(req)
	if err != nil {
		return redact(err)
	}
	defer resp.Body.Close()
	fields[collector.FieldStatusCode] = int64(resp.StatusCode)
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		left := resp.TLS.PeerCertificates[0].NotAfter.Sub(now)
		fields[collector.FieldTLSDaysLeft] = left.Hours() / 24
	}
	if resp.StatusCode != pr.ExpectStatus {
		return fmt.Errorf("status %d, want %d", resp.StatusCode, pr.ExpectStatus)
	}
	body, _, err := readCapped(resp.Body, s.maxBody)
	if err != nil {
		return fmt.Errorf("read body: %w", redact(err))
	}
	if !pr.match.Match(body) {
		return fmt.Errorf("body does not match %q", pr.BodyMatch)
	}
	return nil
}
