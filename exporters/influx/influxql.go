package influx

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Series is one series of an InfluxQL result. Numbers are json.Number so
// that integers come back exact; times are RFC 3339 strings.
type Series struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

// Querier runs InfluxQL through the /query endpoint, which InfluxDB 1.8,
// 2.x (through DBRP mappings) and 3.x all answer. Reports, dashboards tests
// and integration tests read back through it.
type Querier struct {
	URL      string // base URL, e.g. http://127.0.0.1:8086
	Database string // the database (1.8) or DBRP-mapped name (2.x)
	Token    string // "" for none; "user:password" is sent as basic auth on 1.8
	Client   *http.Client
}

// Query runs one or more InfluxQL statements (separated by ";") and returns
// the series of all of them in order. A statement error is returned as an
// error naming the query.
func (q Querier) Query(ctx context.Context, influxQL string) ([]Series, error) {
	form := url.Values{"q": {influxQL}, "db": {q.Database}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(q.URL, "/")+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user, pass, ok := strings.Cut(q.Token, ":"); ok {
		req.SetBasicAuth(user, pass)
	} else if q.Token != "" {
		req.Header.Set("Authorization", "Token "+q.Token)
	}
	client := q.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("influxql %q: %w", influxQL, err)
	}
	defer resp.Body.Close()
	var body struct {
		Results []struct {
			Series []Series `json:"series"`
			Error  string   `json:"error"`
		} `json:"results"`
		Error string `json:"error"`
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		return nil, fmt.Errorf("influxql %q: status %s: %w", influxQL, resp.Status, err)
	}
	if body.Error != "" {
		return nil, fmt.Errorf("influxql %q: %s", influxQL, body.Error)
	}
	var out []Series
	for _, r := range body.Results {
		if r.Error != "" {
			return nil, fmt.Errorf("influxql %q: %s", influxQL, r.Error)
		}
		out = append(out, r.Series...)
	}
	return out, nil
}
