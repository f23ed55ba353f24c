package enseigno

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/entpipe/entpipe/collector"
)

func TestConfigValidate(t *testing.T) {
	check := func(cfg Config, want ...string) {
		t.Helper()
		cfg.ApplyDefaults()
		p := collector.NewProblems()
		cfg.Validate(p.At("enseigno"))
		got := ""
		if err := p.Err(); err != nil {
			got = err.Error()
		}
		if got != strings.Join(want, "\n") {
			t.Errorf("problems:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
		}
	}
	check(Config{Department: "92"})
	check(Config{Department: "92", URL: "https://enseigno.example/export.csv", TokenFile: "/run/secrets/enseigno"})
	check(Config{Department: "92 ", Format: "xls", Decimal: "dot", Encoding: "latin9", Values: "weekly", Separator: "|",
		DateLayout: "mm/yyyy", Disciplines: map[string]string{"Mathématiques": "Maths"}, URL: "ftp://x",
		TokenFile: "a", BasicAuthFile: "b", Timeout: -time.Second},
		`enseigno.department: must be a department slug such as "92", got "92 "`,
		`enseigno.format: "xls" is not one of [csv json]`,
		`enseigno.decimal: "dot" is not one of [auto comma point]`,
		`enseigno.encoding: "latin9" is not one of [auto utf-8 windows-1252]`,
		`enseigno.values: "weekly" is not one of [daily cumulative]`,
		`enseigno.separator: "|" is not one of [; , tab]`,
		`enseigno.date_layout: "mm/yyyy" must contain dd, mm and yyyy`,
		`enseigno.disciplines: "Mathématiques": "Maths" is not a discipline slug (lowercase letters, digits, dashes; not "all")`,
		`enseigno.url: "ftp://x" is not an http(s) URL`,
		`enseigno: set at most one of token_file and basic_auth_file`,
		`enseigno.timeout: must not be negative`)
	check(Config{Department: "92", Accounts: "per_school", Columns: Columns{Discipline: "-"}},
		`enseigno.accounts: "per_school" is not one of [auto per_department per_discipline]`,
		`enseigno.columns: date and discipline cannot be "-": every export has them`)
	check(Config{Department: "92", URL: "ftp://ops:s3cret@enseigno.example/export.csv"},
		`enseigno.url: "ftp://ops:xxxxx@enseigno.example/export.csv" is not an http(s) URL`)
}

func TestConfigDefaults(t *testing.T) {
	csv := Config{}
	csv.ApplyDefaults()
	if csv.Columns != (Columns{}) || csv.Values != ValuesDaily || csv.Accounts != AccountsAuto || csv.Timeout != 30*time.Second {
		t.Errorf("csv defaults (columns stay unset: their aliases): %+v", csv)
	}
	json := Config{Format: "json", Columns: Columns{Sessions: "seances"}}
	json.ApplyDefaults()
	if json.Columns != (Columns{Sessions: "seances"}) {
		t.Errorf("json defaults: %+v", json.Columns)
	}
}

func TestNewRejects(t *testing.T) {
	if _, err := New("e", Config{Department: "92", Format: "xls"}, Options{}); err == nil || !strings.Contains(err.Error(), "enseigno e: format") {
		t.Errorf("bad config: %v", err)
	}
	if _, err := New("e", Config{Department: "92", TokenFile: "/nonexistent/token"}, Options{}); err == nil || !strings.Contains(err.Error(), "read secret") {
		t.Errorf("missing token file: %v", err)
	}
}

// Unknown disciplines fold into "other" and are counted; configured
// aliases extend the vocabulary.
func TestDisciplines(t *testing.T) {
	d := newDisciplines(map[string]string{"Sciences numériques et technologie": "snt"})
	for raw, want := range map[string]string{
		"Mathématiques": "maths", "MATHS": "maths", " Français ": "francais", "Histoire-Géographie": "histoire-geo",
		"histoire géographie": "histoire-geo", "Physique-Chimie": "physique-chimie", "S.V.T.": "svt", "SVT": "svt",
		"Espagnol": "espagnol", "Allemand": "allemand", "Sciences Numériques et Technologie": "snt", "snt": "snt",
		"Chinois": collector.Other, "": collector.Other,
	} {
		if got, known := d.slug(raw); got != want || known != (want != collector.Other) {
			t.Errorf("slug(%q) = %q, %v; want %q", raw, got, known, want)
		}
	}
	stats := collector.NewStats()
	_, sum := importBytes(t, Config{}, Options{Stats: stats}, defaultCSV(smallFixture()))
	if v := stats.Counter(collector.MetricLabelOverflows, "source", "enseigno-test", "label", "discipline").Value(); v != 1 || sum.OtherRows != 1 {
		t.Errorf("overflows = %v, summary other = %d", v, sum.OtherRows)
	}
}

// example.yaml documents every key: it must decode strictly and be valid.
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	withDefaults := cfg
	withDefaults.ApplyDefaults()
	if !reflect.DeepEqual(withDefaults, cfg) {
		t.Errorf("example.yaml does not show the defaults:\n%+v\nwith defaults:\n%+v", cfg, withDefaults)
	}
	p := collector.NewProblems()
	cfg.Validate(p)
	if err := p.Err(); err != nil {
		t.Error(err)
	}
}
