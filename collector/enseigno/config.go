// Package enseigno reads the usage exports of Enseigno, the online tutoring
// service, into daily enseigno_usage points by discipline: from files
// (`entpipe import`) or from an export URL fetched periodically with a
// conditional GET (`entpipe run`). It understands the French conventions of
// such exports (`;` separators, decimal comma, dd/mm/yyyy dates, UTF-8 with
// BOM or Windows-1252, a totals row) and turns cumulative exports into
// daily values.
package enseigno

import (
	"slices"
	"strings"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// Config is the `enseigno:` section of a source. The zero value plus
// ApplyDefaults reads the default layout: UTF-8 with BOM, `;`, decimal comma,
// header `Date;Département;Discipline;Comptes activés;Séances;Heures de
// soutien;Fiches de cours;Exercices` (or the usual variants of those names,
// see columnAliases), dd/mm/yyyy, daily values, a final `Total` row.
type Config struct {
	// Department is the tag of rows without a department column or value.
	Department string `yaml:"department"`
	// Format of the export: csv or json.
	Format string `yaml:"format"`
	// Columns maps each quantity to its CSV header or JSON key; unset
	// columns are found under their usual names (columnAliases).
	Columns Columns `yaml:"columns"`
	// IgnoreColumns are header cells (or JSON keys) the export has and
	// entpipe need not read: they are not reported as unknown.
	IgnoreColumns []string `yaml:"ignore_columns"`
	// Accounts says what an export's activated accounts are: the
	// department's level repeated on each discipline row (per_department:
	// the day's total takes it once), or each discipline's own count
	// (per_discipline: the total is their sum). auto detects it: the same
	// value on every discipline row of each day means per_department.
	Accounts string `yaml:"accounts"`
	// Separator is the CSV separator: ";", ",", "tab", or "" to detect it
	// from the header line.
	Separator string `yaml:"separator"`
	// Decimal is the decimal mark of numbers: comma, point, or auto (either;
	// neither may then be a thousands separator). Spaces are always ignored.
	Decimal string `yaml:"decimal"`
	// DateLayout uses dd, mm and yyyy (default dd/mm/yyyy). ISO dates
	// (2020-03-24, with or without a time) are always accepted too.
	DateLayout string `yaml:"date_layout"`
	// Encoding of the export: auto (UTF-8, with or without BOM, else
	// Windows-1252), utf-8, or windows-1252.
	Encoding string `yaml:"encoding"`
	// TotalsLabel starts the date or discipline cell of the export's totals
	// rows, which are skipped (totals are recomputed from the rows).
	TotalsLabel string `yaml:"totals_label"`
	// Values says whether the export holds daily values or cumulative ones
	// (running totals, turned into daily differences). Activated accounts
	// are a level either way.
	Values string `yaml:"values"`
	// Disciplines adds aliases: raw discipline name → slug. Names matching
	// neither an alias nor a built-in discipline fold into "other".
	Disciplines map[string]string `yaml:"disciplines"`
	// JSONRows is the key of the row array when a JSON export is an object
	// rather than an array (default "rows").
	JSONRows string `yaml:"json_rows"`

	// URL, when set, is fetched every source interval by `entpipe run`.
	URL string `yaml:"url"`
	// TokenFile holds a bearer token sent with each fetch.
	TokenFile string `yaml:"token_file"`
	// BasicAuthFile holds "user:password" sent as HTTP basic auth.
	BasicAuthFile string `yaml:"basic_auth_file"`
	// Timeout bounds one fetch, body included (default 30s).
	Timeout time.Duration `yaml:"timeout"`
}

// Columns names the export's columns: CSV header cells or JSON keys,
// matched ignoring case, accents and spacing. An empty name means the
// column's usual names (columnAliases); "-" says the export has no such
// value column, so its absence is not reported.
type Columns struct {
	Date              string `yaml:"date"`
	Department        string `yaml:"department"`
	Discipline        string `yaml:"discipline"`
	ActivatedAccounts string `yaml:"activated_accounts"`
	Sessions          string `yaml:"sessions"`
	TutoringHours     string `yaml:"tutoring_hours"`
	CourseSheets      string `yaml:"course_sheets"`
	Exercises         string `yaml:"exercises"`
}

// Values modes.
const (
	ValuesDaily      = "daily"
	ValuesCumulative = "cumulative"
)

// Accounts modes.
const (
	AccountsAuto          = "auto"
	AccountsPerDepartment = "per_department"
	AccountsPerDiscipline = "per_discipline"
)

// ApplyDefaults fills unset optional values. Column names stay unset: an
// unset column is found under its usual names, in CSV headers and JSON keys
// alike.
func (c *Config) ApplyDefaults() {
	setDefault(&c.Format, "csv")
	setDefault(&c.Decimal, "auto")
	setDefault(&c.DateLayout, "dd/mm/yyyy")
	setDefault(&c.Encoding, "auto")
	setDefault(&c.TotalsLabel, "Total")
	setDefault(&c.Values, ValuesDaily)
	setDefault(&c.Accounts, AccountsAuto)
	setDefault(&c.JSONRows, "rows")
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
}

func setDefault(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

// list returns pointers to the columns in a fixed order: date, department,
// discipline, then the value columns in fieldNames order.
func (c *Columns) list() []*string {
	return []*string{&c.Date, &c.Department, &c.Discipline, &c.ActivatedAccounts, &c.Sessions,
		&c.TutoringHours, &c.CourseSheets, &c.Exercises}
}

// Validate records every problem of the section.
func (c *Config) Validate(p collector.Problems) {
	if !collector.ValidSlug(c.Department) {
		p.At("department").Addf("must be a department slug such as \"92\", got %q", c.Department)
	}
	oneOf(p.At("format"), c.Format, "csv", "json")
	oneOf(p.At("decimal"), c.Decimal, "auto", "comma", "point")
	oneOf(p.At("encoding"), c.Encoding, "auto", "utf-8", "windows-1252")
	oneOf(p.At("values"), c.Values, ValuesDaily, ValuesCumulative)
	oneOf(p.At("accounts"), c.Accounts, AccountsAuto, AccountsPerDepartment, AccountsPerDiscipline)
	if c.Columns.Date == absent || c.Columns.Discipline == absent {
		p.At("columns").Addf("date and discipline cannot be %q: every export has them", absent)
	}
	if c.Separator != "" {
		oneOf(p.At("separator"), c.Separator, ";", ",", "tab")
	}
	if _, err := goLayout(c.DateLayout); err != nil {
		p.At("date_layout").Addf("%v", err)
	}
	for raw, slug := range c.Disciplines {
		if !collector.ValidSlug(slug) || slug == collector.DisciplineAll {
			p.At("disciplines").Addf("%q: %q is not a discipline slug (lowercase letters, digits, dashes; not \"all\")", raw, slug)
		}
	}
	if c.URL != "" {
		if !collector.HTTPURL(c.URL) {
			p.At("url").Addf("%q is not an http(s) URL", collector.RedactURL(c.URL))
		}
	}
	if c.TokenFile != "" && c.BasicAuthFile != "" {
		p.Addf("set at most one of token_file and basic_auth_file")
	}
	if c.Timeout < 0 {
		p.At("timeout").Addf("must not be negative")
	}
}

func oneOf(p collector.Problems, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		p.Addf("%q is not one of [%s]", v, strings.Join(allowed, " "))
	}
}
