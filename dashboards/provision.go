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
	"strconv"
	"strings"

	"github.com/grafana-tools/sdk"
)

// Provisioner creates or updates the entpipe folder, datasources and boards
// through Grafana's HTTP API. It is idempotent: a second run updates in
// place and creates nothing.
//
// Folders and boards go through grafana-tools/sdk's client, which checks
// the answers of those calls. Datasources do not: its CreateDatasource and
// UpdateDatasource ignore the HTTP status (a 401 or 403 reads as success)
// and it cannot look a datasource up by uid, so they are a small request of
// our own (do).
//
// Boards are matched by uid, never by a numeric id. A board that already
// exists under its uid is saved with overwrite; a new one without, so
// Grafana refuses (412) rather than silently taking over an unrelated
// dashboard that happens to have the same title in the folder.
//
// A Provisioner is safe for sequential use; it holds no state between calls.
type Provisioner struct {
	URL    string       // Grafana root URL, with its sub-path if any
	Token  string       // service-account token or API key; "user:password" for basic auth
	Client *http.Client // nil: a client without timeout (the context bounds every call)
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
func (p *Provisioner) Provision(ctx context.Context, folder Folder, ds []sdk.Datasource, boards []*Board) ([]Action, error) {
	client, err := sdk.NewClient(p.URL, p.Token, p.httpClient())
	if err != nil {
		return nil, fmt.Errorf("grafana URL %q: %w", p.URL, err)
	}
	var done []Action
	folderID, act, err := p.ensureFolder(ctx, client, folder)
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
		act, err := p.saveBoard(ctx, client, b, folderID)
		if err != nil {
			return done, err
		}
		done = append(done, act)
	}
	return done, nil
}

// httpClient is the caller's client with every error answer made readable
// for grafana-tools/sdk (see messageTransport).
func (p *Provisioner) httpClient() *http.Client {
	c := http.Client{}
	if p.Client != nil {
		c = *p.Client
	}
	c.Transport = messageTransport{next: c.Transport}
	return &c
}

func (p *Provisioner) ensureFolder(ctx context.Context, client *sdk.Client, f Folder) (int, Action, error) {
	path := "api/folders/" + f.UID
	got, err := client.GetFolderByUID(ctx, f.UID)
	verb := "kept"
	if err = p.sdkError(http.MethodGet, path, err); isStatus(err, http.StatusNotFound) {
		verb, path = "created", "api/folders"
		got, err = client.CreateFolder(ctx, sdk.Folder{UID: f.UID, Title: f.Title})
		err = p.sdkError(http.MethodPost, path, err)
	}
	if err != nil {
		return 0, Action{}, fmt.Errorf("folder %q: %w", f.UID, err)
	}
	return got.ID, Action{Verb: verb, Kind: "folder", UID: f.UID, URL: got.URL}, nil
}

func (p *Provisioner) saveBoard(ctx context.Context, client *sdk.Client, b *Board, folderID int) (Action, error) {
	uid := *b.Uid
	_, _, err := client.GetRawDashboardByUID(ctx, uid)
	err = p.sdkError(http.MethodGet, "api/dashboards/uid/"+uid, err)
	exists := err == nil
	if err != nil && !isStatus(err, http.StatusNotFound) {
		return Action{}, fmt.Errorf("dashboard %q: %w", uid, err)
	}
	data, err := Marshal(b) // the SDK sends "id": 0, Grafana's "no id" too
	if err != nil {
		return Action{}, err
	}
	got, err := client.SetRawDashboardWithParam(ctx, sdk.RawBoardRequest{
		Dashboard: data, Parameters: sdk.SetDashboardParams{FolderID: folderID, Overwrite: exists}})
	if err = p.sdkError(http.MethodPost, "api/dashboards/db", err); err != nil {
		return Action{}, fmt.Errorf("dashboard %q (%s): %w", uid, *b.Title, err)
	}
	verb := "created"
	if exists {
		verb = "updated"
	}
	act := Action{Verb: verb, Kind: "dashboard", UID: uid}
	if got.URL != nil {
		act.URL = *got.URL
	}
	return act, nil
}

// sdkError turns an error of grafana-tools/sdk into ours. The SDK reports
// an error answer only as text, "HTTP error <status>: returns <body or
// message>", which is parsed back into a StatusError; a failed connection
// says Grafana is unreachable.
func (p *Provisioner) sdkError(method, path string, err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("grafana unreachable at %s: %w", p.URL, ue.Err)
	}
	rest, ok := strings.CutPrefix(err.Error(), "HTTP error ")
	status, body, _ := strings.Cut(rest, ": returns ")
	code, convErr := strconv.Atoi(status)
	if !ok || convErr != nil {
		return fmt.Errorf("grafana %s /%s: %w", method, path, err)
	}
	return &StatusError{Method: method, Path: path, Code: code, Message: answerMessage([]byte(body))}
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

// answerMessage is Grafana's "message" in an error answer, or else the
// start of the answer (a proxy's HTML page, plain text).
func answerMessage(body []byte) string {
	var m struct{ Message string }
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		return m.Message
	}
	return strings.TrimSpace(string(body[:min(len(body), 200)]))
}

// messageTransport rewrites every error answer as {"message": …}, keeping
// its status. grafana-tools/sdk formats its errors from that message, and
// when saving a dashboard dereferences it without checking that the answer
// had one: an error answer without it (a proxy's page, another JSON) would
// crash the process instead of failing the call.
type messageTransport struct{ next http.RoundTripper }

func (t messageTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err != nil || resp.StatusCode/100 == 2 {
		return resp, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	msg, _ := json.Marshal(map[string]string{"message": answerMessage(body)})
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(msg)), int64(len(msg))
	resp.Header.Set("Content-Type", "application/json")
	resp.Header.Del("Content-Length")
	return resp, nil
}

// ensureDatasource creates or updates one datasource by uid, with our own
// requests: see Provisioner.
func (p *Provisioner) ensureDatasource(ctx context.Context, d sdk.Datasource) (Action, error) {
	var got sdk.Datasource
	path := "api/datasources/uid/" + url.PathEscape(d.UID)
	err := p.do(ctx, http.MethodGet, path, nil, &got)
	switch {
	case err == nil:
		d.ID = got.ID
		if err := p.do(ctx, http.MethodPut, path, d, nil); err != nil {
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
	resp, err := p.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("grafana unreachable at %s: %w", p.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("grafana %s /%s: read answer: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return &StatusError{Method: method, Path: path, Code: resp.StatusCode, Message: answerMessage(data)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("grafana %s /%s: decode answer: %w", method, path, err)
	}
	return nil
}
