package dashboards

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/grafana-tools/sdk"
)

// Provisioner creates or updates the entpipe folder, datasources and boards
// through Grafana's HTTP API. It is idempotent: a second run updates in
// place and creates nothing.
//
// It speaks the API itself, with the SDK's types for the bodies, because
// the SDK's REST client cannot be trusted with it: CreateDatasource and
// UpdateDatasource ignore the HTTP status (a 401 looks like success),
// SetDashboard dereferences a nil message on some errors, and no call
// exposes the status code needed for clear 401/403/404/409 errors.
//
// Boards are always sent with "id": null and matched by uid. A board that
// already exists under its uid is saved with overwrite; a new one without,
// so Grafana refuses (412) rather than silently taking over an unrelated
// dashboard that happens to have the same title in the folder.
//
// A Provisioner is safe for sequential use; it holds no state between calls.
type Provisioner struct {
	URL    string       // Grafana root URL, with its sub-path if any
	Token  string       // service-account token or API key; "user:password" for basic auth
	Client *http.Client // nil: http.DefaultClient
}

// Folder is the Grafana folder the boards go to.
type Folder struct{ UID, Title string }

// DefaultFolder is the folder of file provisioning too
// (deploy/grafana/provisioning/dashboards/entpipe.yaml).
func DefaultFolder() Folder { return Folder{UID: "entpipe", Title: "entpipe"} }

// Action is one thing Provision did: "created", "updated" or "kept" a
// "folder", "datasource" or "dashboard" identified by UID.
type Action struct{ Verb, Kind, UID, URL string }

// Provision ensures the folder, then the datasources (skipped when ds is
// nil), then every board, in that order, and stops at the first error. It
// returns what it did until then.
func (p *Provisioner) Provision(ctx context.Context, folder Folder, ds []sdk.Datasource, boards []*sdk.Board) ([]Action, error) {
	var done []Action
	folderID, act, err := p.ensureFolder(ctx, folder)
	if err != nil {
		return done, err
	}
	done = append(done, act)
	for _, d := range ds {
		act, err := p.ensureDatasource(ctx, d)
		if err != nil {
			return done, err
		}
		done = append(done, act)
	}
	for _, b := range boards {
		act, err := p.saveBoard(ctx, b, folderID, folder.UID)
		if err != nil {
			return done, err
		}
		done = append(done, act)
	}
	return done, nil
}

func (p *Provisioner) ensureFolder(ctx context.Context, f Folder) (int, Action, error) {
	var got sdk.Folder
	err := p.do(ctx, http.MethodGet, "api/folders/"+url.PathEscape(f.UID), nil, &got)
	verb := "kept"
	if isStatus(err, http.StatusNotFound) {
		verb = "created"
		err = p.do(ctx, http.MethodPost, "api/folders", sdk.Folder{UID: f.UID, Title: f.Title}, &got)
	}
	if err != nil {
		return 0, Action{}, fmt.Errorf("folder %q: %w", f.UID, err)
	}
	return got.ID, Action{Verb: verb, Kind: "folder", UID: f.UID, URL: got.URL}, nil
}

func (p *Provisioner) ensureDatasource(ctx context.Context, d sdk.Datasource) (Action, error) {
	var got sdk.Datasource
	err := p.do(ctx, http.MethodGet, "api/datasources/uid/"+url.PathEscape(d.UID), nil, &got)
	switch {
	case err == nil:
		d.ID = got.ID
		err = p.do(ctx, http.MethodPut, fmt.Sprintf("api/datasources/%d", got.ID), d, nil)
		if err != nil {
			return Action{}, fmt.Errorf("datasource %q: update: %w", d.UID, err)
		}
		return Action{Verb: "updated", Kind: "datasource", UID: d.UID}, nil
	case isStatus(err, http.StatusNotFound):
		if err := p.do(ctx, http.MethodPost, "api/datasources", d, nil); err != nil {
			return Action{}, fmt.Errorf("datasource %q: create: %w", d.UID, err)
		}
		return Action{Verb: "created", Kind: "datasource", UID: d.UID}, nil
	default:
		return Action{}, fmt.Errorf("datasource %q: %w", d.UID, err)
	}
}

func (p *Provisioner) saveBoard(ctx context.Context, b *sdk.Board, folderID int, folderUID string) (Action, error) {
	err := p.do(ctx, http.MethodGet, "api/dashboards/uid/"+url.PathEscape(b.UID), nil, nil)
	exists := err == nil
	if err != nil && !isStatus(err, http.StatusNotFound) {
		return Action{}, fmt.Errorf("dashboard %q: %w", b.UID, err)
	}
	data, err := Marshal(b) // "id": null
	if err != nil {
		return Action{}, err
	}
	body := map[string]any{
		"dashboard": json.RawMessage(data),
		"folderId":  folderID,
		"folderUid": folderUID,
		"overwrite": exists,
		"message":   "entpipe dashboards provision",
	}
	var got sdk.StatusMessage
	if err := p.do(ctx, http.MethodPost, "api/dashboards/db", body, &got); err != nil {
		return Action{}, fmt.Errorf("dashboard %q (%s): %w", b.UID, b.Title, err)
	}
	verb := "created"
	if exists {
		verb = "updated"
	}
	act := Action{Verb: verb, Kind: "dashboard", UID: b.UID}
	if got.URL != nil {
		act.URL = *got.URL
	}
	return act, nil
}

// StatusError is a Grafana API answer other than 200, with a hint for the
// statuses an operator can fix.
type StatusError struct {
	Method, Path string
	Code         int
	Message      string // Grafana's "message", or the start of the body
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("grafana %s /%s: %d %s", e.Method, e.Path, e.Code, e.Message)
	switch e.Code {
	case http.StatusUnauthorized:
		return msg + " (the token was rejected: check -token-file)"
	case http.StatusForbidden:
		return msg + " (the token lacks permission: folders and dashboards need Editor, datasources need Admin)"
	case http.StatusNotFound:
		return msg + " (is -grafana-url the Grafana root, with its sub-path?)"
	case http.StatusConflict, http.StatusPreconditionFailed:
		return msg + " (something else in Grafana already has this name or uid: rename or remove it)"
	}
	return msg
}

func isStatus(err error, code int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == code
}

// do sends one JSON request and decodes a 200 answer into out (if not nil).
func (p *Provisioner) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s /%s: %w", method, path, err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(p.URL, "/")+"/"+path, body)
	if err != nil {
		return fmt.Errorf("grafana %s /%s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user, pass, ok := strings.Cut(p.Token, ":"); ok {
		req.SetBasicAuth(user, pass)
	} else if p.Token != "" {
		req.Header.Set("Authorization", "Bearer "+p.Token)
	}
	client := p.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("grafana unreachable at %s: %w", p.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("grafana %s /%s: read answer: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var m struct{ Message string }
		if json.Unmarshal(data, &m) != nil || m.Message == "" {
			m.Message = strings.TrimSpace(string(data[:min(len(data), 200)]))
		}
		return &StatusError{Method: method, Path: path, Code: resp.StatusCode, Message: m.Message}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("grafana %s /%s: decode answer: %w", method, path, err)
	}
	return nil
}
