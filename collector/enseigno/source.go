package enseigno

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// maxBadRows bounds the bad rows a Summary lists; RowsBad counts them all.
const maxBadRows = 100

// maxExportBytes bounds an export read into memory (a year of daily rows
// by discipline is a few hundred KB).
const maxExportBytes = 64 << 20

// Options are the collaborators of a Source, all optional.
type Options struct {
	// Stats receives entpipe_lines_total{source,result} for rows and
	// entpipe_label_overflows_total{source,label="discipline"}.
	Stats *collector.Stats
	Log   *slog.Logger
	// Client fetches cfg.URL (default: a new http.Client); cfg.Timeout
	// bounds each fetch whatever the client's own timeout.
	Client *http.Client
	// StateDir keeps <name>.json: the ETag and Last-Modified of the last
	// fetched export and the baselines of cumulative exports. Without it,
	// every fetch is unconditional and a cumulative export's first day is
	// only a baseline.
	StateDir string
	// Now is the clock (default time.Now); rows dated after the current
	// Paris day are rejected.
	Now func() time.Time
}

// Source reads one configured Enseigno export. Gather and ImportFiles may
// be called from different goroutines; they run one at a time because both
// read and update the source's state.
type Source struct {
	name   string
	cfg    Config
	opts   Options
	layout string
	paris  *time.Location
	discs  disciplines
	state  stateFile

	parsed, invalid, overflow *collector.Counter
	// unknownColumns and missingColumns count the header problems of the
	// last export read (cells mapping to nothing, expected value columns
	// it lacks), so that an alert sees them while they last.
	unknownColumns, missingColumns *collector.Gauge

	mu sync.Mutex
}

// New checks cfg (defaults applied) and returns its source. name is the
// source's name in self-metrics, logs and the state file.
func New(name string, cfg Config, opts Options) (*Source, error) {
	if err := collector.Check(&cfg); err != nil {
		return nil, fmt.Errorf("enseigno %s: %w", name, err)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return nil, fmt.Errorf("enseigno %s: %w", name, err)
	}
	layout, _ := goLayout(cfg.DateLayout) // validated above
	if opts.Stats == nil {
		opts.Stats = collector.NewStats()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Source{
		name: name, cfg: cfg, opts: opts, layout: layout, paris: paris,
		discs:          newDisciplines(cfg.Disciplines),
		parsed:         opts.Stats.Counter(collector.MetricLines, collector.LabelSource, name, collector.LabelResult, collector.ResultParsed),
		invalid:        opts.Stats.Counter(collector.MetricLines, collector.LabelSource, name, collector.LabelResult, collector.ResultInvalid),
		overflow:       opts.Stats.Counter(collector.MetricLabelOverflows, collector.LabelSource, name, collector.LabelLabel, collector.TagDiscipline),
		unknownColumns: opts.Stats.Gauge(collector.MetricEnseignoHeaderProblems, collector.LabelSource, name, collector.LabelProblem, "unknown_column"),
		missingColumns: opts.Stats.Gauge(collector.MetricEnseignoHeaderProblems, collector.LabelSource, name, collector.LabelProblem, "missing_column"),
	}
	if opts.StateDir != "" {
		s.state.path = filepath.Join(opts.StateDir, name+".json")
	}
	if _, err := s.credentials(); err != nil {
		return nil, fmt.Errorf("enseigno %s: %w", name, err)
	}
	return s, nil
}

// RowError locates a rejected row: the file (or URL), its line, and its
// column — for CSV the 1-based cell number, for JSON the byte column of the
// offending key — with the column's configured name when there is one.
type RowError struct {
	File         string
	Line, Column int
	Name         string
	Msg          string
}

// Error renders the location as file:line:column, the form editors and
// `entpipe import` print.
func (e RowError) Error() string {
	name := ""
	if e.Name != "" {
		name = " (" + e.Name + ")"
	}
	return fmt.Sprintf("%s:%d:%d%s: %s", e.File, e.Line, e.Column, name, e.Msg)
}

// Summary describes one import or fetch.
type Summary struct {
	Files        int
	RowsRead     int // data rows; totals rows and empty rows are not counted
	RowsImported int
	RowsBad      int
	TotalsRows   int // skipped export totals rows
	OtherRows    int // imported rows whose discipline folded into "other"
	Days         int // department-days written
	BaselineDays int // cumulative days only used as the next day's baseline
	Resets       int // cumulative values lower than the previous day's
	Points       int
	Disciplines  []string   // slugs written, sorted, "all" excluded
	Bad          []RowError // the first maxBadRows bad rows
	// Header lists, per export, the header cells that map to no column
	// and the value columns it lacks ("file: unknown columns …").
	Header []string
	// Accounts says how activated accounts were read, per_department or
	// per_discipline, with "(detected)" when the rows decided it; "" when
	// no export had the column. AccountsDiffer counts the per_department
	// days whose rows disagreed (the largest value was taken).
	Accounts       string
	AccountsDiffer int
}

// String is the summary `entpipe import` prints: counts, then each bad
// row on its own line.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d files: %d rows read, %d imported, %d bad; %d totals rows skipped; %d days, %d points; disciplines: %s",
		s.Files, s.RowsRead, s.RowsImported, s.RowsBad, s.TotalsRows, s.Days, s.Points, strings.Join(s.Disciplines, " "))
	if s.OtherRows > 0 {
		fmt.Fprintf(&b, "; %d rows of unknown disciplines counted as other", s.OtherRows)
	}
	if s.BaselineDays > 0 {
		fmt.Fprintf(&b, "; %d days used only as cumulative baseline", s.BaselineDays)
	}
	if s.Resets > 0 {
		fmt.Fprintf(&b, "; %d cumulative resets", s.Resets)
	}
	if s.Accounts != "" {
		fmt.Fprintf(&b, "; activated accounts %s", s.Accounts)
	}
	if s.AccountsDiffer > 0 {
		fmt.Fprintf(&b, " (%d days whose discipline rows disagree: the largest taken)", s.AccountsDiffer)
	}
	for _, h := range s.Header {
		fmt.Fprintf(&b, "\nheader %s", h)
	}
	for _, e := range s.Bad {
		fmt.Fprintf(&b, "\nbad row %s", e)
	}
	if n := s.RowsBad - len(s.Bad); n > 0 {
		fmt.Fprintf(&b, "\n… and %d more bad rows", n)
	}
	return b.String()
}

// ImportFiles reads exports, writes their daily points to sink and flushes
// it. Bad rows are reported in the Summary while good rows are imported.
// When exports overlap, the later path's days replace the earlier ones
// whole; re-importing changes nothing (points are whole-day upserts).
// Cumulative baselines are saved only after the sink's Flush succeeded. A
// file that cannot be read or parsed (missing, lacking the mapped columns,
// cut short) is skipped whole — its rows would overwrite complete days
// with partial ones — and returned in a collector.FileErrors while the
// other files are imported; the Summary counts only those.
func (s *Source) ImportFiles(ctx context.Context, sink collector.Sink, paths []string) (Summary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sum Summary
	st, err := s.state.load()
	if err != nil {
		return sum, fmt.Errorf("enseigno %s: %w", s.name, err)
	}
	all := export{}
	var failed collector.FileErrors
	for _, path := range paths {
		data, err := os.ReadFile(path)
		var ex export
		if err == nil {
			ex, err = s.parse(path, data, &sum)
		}
		if err != nil {
			failed = append(failed, collector.FileError{Path: path, Err: err})
			continue
		}
		all.overlay(ex)
	}
	if len(failed) > 0 && len(failed) == len(paths) {
		return sum, fmt.Errorf("enseigno %s: %w", s.name, failed) // nothing to write
	}
	pts := points(daily(all, s.cfg.Values == ValuesCumulative, st.Cumulative, &sum), s.paris, &sum)
	if len(pts) > 0 {
		if err := sink.Write(ctx, pts); err != nil {
			return sum, fmt.Errorf("enseigno %s: write: %w", s.name, err)
		}
	}
	if err := sink.Flush(ctx); err != nil {
		return sum, fmt.Errorf("enseigno %s: flush: %w", s.name, err)
	}
	if err := s.state.save(st); err != nil {
		return sum, fmt.Errorf("enseigno %s: %w", s.name, err)
	}
	if len(failed) > 0 {
		return sum, fmt.Errorf("enseigno %s: %w", s.name, failed)
	}
	return sum, nil
}

// parse decodes one export into its rows. It counts into a Summary of its
// own, added to sum only when the export is read whole: a dropped export
// counts nothing (its header problems are in the error, see header.check).
func (s *Source) parse(file string, data []byte, sum *Summary) (export, error) {
	if len(data) > maxExportBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", file, maxExportBytes)
	}
	data, err := toUTF8(data, s.cfg.Encoding)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	now := s.opts.Now().In(s.paris)
	part := Summary{Files: 1}
	p := &parser{
		cfg: &s.cfg, layout: s.layout, numbers: numberParser{s.cfg.Decimal}, discs: s.discs, slugs: map[string]slugOf{},
		totals:  s.cfg.TotalsLabel,
		lastDay: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC),
		sum:     &part, out: export{}, other: s.overflow.Inc, accounts: map[dayKey]*accountsSeen{},
	}
	if s.cfg.Format == "json" {
		err = p.json(file, data)
	} else {
		err = p.csv(file, data)
	}
	s.unknownColumns.Set(float64(len(p.head.unknown)))
	s.missingColumns.Set(float64(len(p.head.missing)))
	if err != nil {
		return nil, err // the export is dropped whole: none of its rows counts
	}
	s.parsed.Add(float64(part.RowsImported))
	s.invalid.Add(float64(part.RowsBad))
	if pr := p.head.problems(); pr != "" {
		part.Header = append(part.Header, file+": "+pr)
	}
	if len(p.accounts) > 0 {
		mode, detected := accountsMode(s.cfg.Accounts, p.accounts)
		if mode == AccountsPerDepartment {
			part.AccountsDiffer = p.out.perDepartment(p.accounts)
		}
		part.Accounts = mode
		if detected {
			part.Accounts += " (detected)"
		}
	}
	sum.add(part)
	return p.out, nil
}

// add counts into s what parse counted of one export: its rows, bad rows
// (Bad stays bounded by maxBadRows), header problems and way of reading
// accounts (each way listed once). Days, points and the other counts of
// the daily points are made once over the whole import, by daily and
// points.
func (s *Summary) add(e Summary) {
	s.Files += e.Files
	s.RowsRead += e.RowsRead
	s.RowsImported += e.RowsImported
	s.RowsBad += e.RowsBad
	s.TotalsRows += e.TotalsRows
	s.OtherRows += e.OtherRows
	s.AccountsDiffer += e.AccountsDiffer
	s.Bad = append(s.Bad, e.Bad[:min(len(e.Bad), maxBadRows-len(s.Bad))]...)
	s.Header = append(s.Header, e.Header...)
	if how := e.Accounts; how != "" && !slices.Contains(strings.Split(s.Accounts, ", "), how) {
		s.Accounts = strings.TrimPrefix(s.Accounts+", "+how, ", ")
	}
}
