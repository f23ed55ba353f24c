package enseigno

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/entpipe/entpipe/collector"
)

// Gather fetches cfg.URL and returns the daily points of the whole export
// (whole-day upserts, so refetching is harmless). The request is
// conditional: when the server answers 304 Not Modified to the ETag or
// Last-Modified of the last fetch, Gather returns no points and no error.
// Any other status but 200, a timeout, or a body cut short is an error and
// nothing is returned, so a partial export never overwrites good days. Bad
// rows are logged (a warning per fetch) while good rows are returned; an
// export with bad rows and no good one is an error.
//
// The validators and cumulative baselines are saved when Gather returns
// the points, before the Runner has written them: a crash in between loses
// that fetch until the export changes (documented in README.md).
func (s *Source) Gather(ctx context.Context) ([]collector.Point, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.URL == "" {
		return nil, fmt.Errorf("enseigno %s: no url configured", s.name)
	}
	st, err := s.state.load()
	if err != nil {
		return nil, fmt.Errorf("enseigno %s: %w", s.name, err)
	}
	data, validators, err := s.fetch(ctx, st)
	if err != nil || data == nil {
		return nil, err
	}
	var sum Summary
	ex, err := s.parse(s.where(), data, &sum)
	if err != nil {
		return nil, fmt.Errorf("enseigno %s: %w", s.name, err)
	}
	switch {
	case sum.RowsBad > 0 && sum.RowsImported == 0:
		return nil, fmt.Errorf("enseigno %s: every row of the export is bad, first: %v", s.name, sum.Bad[0])
	case sum.RowsBad > 0:
		s.opts.Log.Warn("enseigno export has bad rows", "source", s.name, "bad", sum.RowsBad, "first", sum.Bad[0].Error())
	}
	for _, h := range sum.Header {
		s.opts.Log.Warn("enseigno export header does not match the configuration", "source", s.name, "problems", h)
	}
	pts := points(daily(ex, s.cfg.Values == ValuesCumulative, st.Cumulative, &sum), s.paris, &sum)
	st.ETag, st.LastModified = validators.Get("ETag"), validators.Get("Last-Modified")
	if err := s.state.save(st); err != nil {
		return nil, fmt.Errorf("enseigno %s: %w", s.name, err)
	}
	s.opts.Log.Info("enseigno export fetched", "source", s.name, "rows", sum.RowsImported, "days", sum.Days, "points", sum.Points,
		"accounts", sum.Accounts)
	return pts, nil
}

// fetch performs the conditional GET. It returns nil data on 304, and the
// response headers holding the new validators.
func (s *Source) fetch(ctx context.Context, st *state) ([]byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.URL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("enseigno %s: %w", s.name, err)
	}
	if st.ETag != "" {
		req.Header.Set("If-None-Match", st.ETag)
	}
	if st.LastModified != "" {
		req.Header.Set("If-Modified-Since", st.LastModified)
	}
	auth, err := s.credentials()
	if err != nil {
		return nil, nil, fmt.Errorf("enseigno %s: %w", s.name, err)
	}
	auth(req)
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		// The error names the URL; ours carries no credentials (they are in
		// headers), but strip a query string that might.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("enseigno %s: fetch %s: %w", s.name, s.where(), err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		return nil, nil, nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, nil, fmt.Errorf("enseigno %s: fetch %s: %s (check token_file or basic_auth_file)", s.name, s.where(), resp.Status)
	default:
		return nil, nil, fmt.Errorf("enseigno %s: fetch %s: %s", s.name, s.where(), resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxExportBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("enseigno %s: fetch %s: read body: %w", s.name, s.where(), err)
	}
	return data, resp.Header, nil
}

// where names the export in errors and bad-row reports: the URL without
// its query string or user info.
func (s *Source) where() string {
	u, err := url.Parse(s.cfg.URL)
	if err != nil {
		return "export"
	}
	u.RawQuery, u.User, u.Fragment = "", nil, ""
	return u.String()
}

// credentials reads the configured secret file (each fetch, so a rotated
// secret is picked up) and returns what adds it to a request.
func (s *Source) credentials() (func(*http.Request), error) {
	switch {
	case s.cfg.TokenFile != "":
		tok, err := readSecret(s.cfg.TokenFile)
		if err != nil {
			return nil, err
		}
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }, nil
	case s.cfg.BasicAuthFile != "":
		secret, err := readSecret(s.cfg.BasicAuthFile)
		if err != nil {
			return nil, err
		}
		user, pass, ok := strings.Cut(secret, ":")
		if !ok {
			return nil, fmt.Errorf("basic_auth_file %s: want user:password on one line", s.cfg.BasicAuthFile)
		}
		return func(r *http.Request) { r.SetBasicAuth(user, pass) }, nil
	}
	return func(*http.Request) {}, nil
}

func readSecret(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	secret := strings.TrimSpace(string(data))
	if secret == "" {
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	return secret, nil
}
