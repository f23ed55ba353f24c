package influx

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/domain"

	"github.com/entpipe/entpipe/collector"
)

// Setup prepares InfluxDB for the sink, idempotently, so it can run at every
// deployment. On 1.x it creates the
// database of Bucket ("db/rp", rp defaulting to autogen) and makes rp its
// default retention policy with cfg.Retention. On 2.x it creates the bucket
// in Org with that retention, or updates the retention of an existing one,
// and maps it for InfluxQL (database = bucket name, rp "autogen"), which the
// reports and dashboards read through.
func Setup(ctx context.Context, cfg Config) error {
	if err := collector.Check(&cfg); err != nil {
		return fmt.Errorf("influx setup: invalid configuration:\n%w", err)
	}
	token, err := cfg.Token()
	if err != nil {
		return fmt.Errorf("influx setup: token: %w", err)
	}
	version, err := serverVersion(ctx, cfg.URL)
	if err != nil {
		return fmt.Errorf("influx setup: %w", err)
	}
	if version == "1" {
		err = setupV1(ctx, cfg, token)
	} else {
		err = setupV2(ctx, cfg, token)
	}
	if err != nil {
		return fmt.Errorf("influx setup (InfluxDB %s.x at %s): %w", version, collector.RedactURL(cfg.URL), err)
	}
	return nil
}

// serverVersion names the InfluxDB major version: "2" when the server
// answers the 2.x API's GET /api/v2/setup (2.x, 3.x, Cloud), else "1". The
// X-Influxdb-Version header cannot tell: builds from source say "unknown".
func serverVersion(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(url, "/")+"/api/v2/setup", nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("probe version: %w", err)
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		return "2", nil
	case resp.StatusCode == http.StatusNotFound:
		return "1", nil
	default:
		return "", fmt.Errorf("probe version: GET /api/v2/setup: status %s", resp.Status)
	}
}

func setupV1(ctx context.Context, cfg Config, token string) error {
	db, rp, _ := strings.Cut(cfg.Bucket, "/")
	if rp == "" {
		rp = "autogen"
	}
	q := Querier{URL: cfg.URL, Database: db, Token: token}
	if _, err := q.Query(ctx, "CREATE DATABASE "+quoteIdent(db)); err != nil {
		return err
	}
	policies, err := q.Query(ctx, "SHOW RETENTION POLICIES ON "+quoteIdent(db))
	if err != nil {
		return err
	}
	verb := "CREATE"
	for _, s := range policies {
		for _, row := range s.Values {
			if len(row) > 0 && row[0] == rp {
				verb = "ALTER"
			}
		}
	}
	stmt := fmt.Sprintf("%s RETENTION POLICY %s ON %s DURATION %s", verb, quoteIdent(rp), quoteIdent(db), durationLiteral(cfg.Retention))
	if verb == "CREATE" {
		stmt += " REPLICATION 1"
	}
	_, err = q.Query(ctx, stmt+" DEFAULT")
	return err
}

func setupV2(ctx context.Context, cfg Config, token string) error {
	client := influxdb2.NewClient(cfg.URL, token)
	defer client.Close()
	org, err := client.OrganizationsAPI().FindOrganizationByName(ctx, cfg.Org)
	if err != nil {
		return fmt.Errorf("organization %q: %w", cfg.Org, err)
	}
	rule := domain.RetentionRule{EverySeconds: int64(cfg.Retention / time.Second)}
	found, err := client.APIClient().GetBuckets(ctx, &domain.GetBucketsParams{Name: &cfg.Bucket, OrgID: org.Id})
	if err != nil {
		return fmt.Errorf("find bucket %q: %w", cfg.Bucket, err)
	}
	var bucket *domain.Bucket
	if found.Buckets != nil && len(*found.Buckets) > 0 {
		bucket = &(*found.Buckets)[0]
	}
	if bucket == nil {
		if bucket, err = client.BucketsAPI().CreateBucketWithName(ctx, org, cfg.Bucket, rule); err != nil {
			return fmt.Errorf("create bucket %q: %w", cfg.Bucket, err)
		}
	} else {
		bucket.RetentionRules = domain.RetentionRules{rule}
		if _, err := client.BucketsAPI().UpdateBucket(ctx, bucket); err != nil {
			return fmt.Errorf("update bucket %q: %w", cfg.Bucket, err)
		}
	}
	mappings, err := client.APIClient().GetDBRPs(ctx, &domain.GetDBRPsParams{OrgID: org.Id, BucketID: bucket.Id})
	if err != nil {
		return fmt.Errorf("list DBRP mappings: %w", err)
	}
	if mappings.Content != nil && len(*mappings.Content) > 0 {
		return nil
	}
	yes := true
	_, err = client.APIClient().PostDBRP(ctx, &domain.PostDBRPAllParams{Body: domain.PostDBRPJSONRequestBody{
		BucketID: *bucket.Id, Database: cfg.Bucket, RetentionPolicy: "autogen", Default: &yes, OrgID: org.Id}})
	if err != nil {
		return fmt.Errorf("map bucket %q for InfluxQL: %w", cfg.Bucket, err)
	}
	return nil
}

// quoteIdent quotes an InfluxQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// durationLiteral renders d as an InfluxQL duration (whole seconds).
func durationLiteral(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}
