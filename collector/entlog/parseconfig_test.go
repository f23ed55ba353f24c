package entlog

import (
	"slices"
	"strings"
	"testing"

	"github.com/entpipe/entpipe/collector"
)

func TestParseConfigValidate(t *testing.T) {
	problems := func(c ParseConfig) []string {
		c.ApplyDefaults()
		p := collector.NewProblems()
		c.Validate(p)
		if p.Err() == nil {
			return nil
		}
		return strings.Split(p.Err().Error(), "\n")
	}
	f := func(c ParseConfig, want ...string) {
		t.Helper()
		if got := problems(c); !slices.Equal(got, want) {
			t.Errorf("Validate(%+v)\n got %q\nwant %q", c, got, want)
		}
	}
	f(ParseConfig{})
	f(ParseConfig{Format: "json", Fields: map[string]string{"user": "uid"}, JSON: JSONConfig{TimeLayouts: []string{"unix", "2006-01-02"}}})
	f(ParseConfig{LogFormat: ENTFormat, Fields: map[string]string{"profile": "ent_profile"},
		Profiles: map[string]string{"Doc": "personnel"}, Services: map[string]string{"/blog": "blog"},
		BotMarkers: []string{"zabbix"}, HealthPaths: []string{"/health"}, APIPrefixes: []string{"/rest/"}})
	f(ParseConfig{Format: "apache"}, `format: "apache" is not one of [combined ent json]`)
	f(ParseConfig{Format: "ent", LogFormat: ENTFormat}, "format: set either format or log_format, not both")
	f(ParseConfig{LogFormat: `$remote_addr$status`}, "log_format: variables $remote_addr and $status are not separated by any text")
	f(ParseConfig{Fields: map[string]string{"uai": "ent_uai", "user": ""}},
		"fields.uai: unknown role, want one of [time user profile path method status bytes duration ip user_agent]",
		"fields.user: must name a variable or key")
	f(ParseConfig{Format: "json", Fields: map[string]string{"user": "uid", "ip": "uid"}}, `fields.user: "uid" is already the ip`)
	f(ParseConfig{JSON: JSONConfig{TimeLayouts: []string{"rfc"}, DurationUnit: "h"}},
		`json.time_layouts[0]: "rfc" is not iso8601, common, unix, unix_ms or a Go layout (with 2006)`,
		`json.duration_unit: "h" is not one of [s ms us]`)
	f(ParseConfig{Profiles: map[string]string{"X": "anonyme", "Y": "eleves"}},
		`profiles.X: "anonyme" is not one of [eleve parent enseignant personnel invite autre]`,
		`profiles.Y: "eleves" is not one of [eleve parent enseignant personnel invite autre]`)
	f(ParseConfig{Services: map[string]string{"blog": "blog", "/x": "Messagerie"}},
		`services./x: "Messagerie" is not a slug (lowercase letters, digits, dashes)`,
		"services.blog: prefix must start with /")
	f(ParseConfig{BotMarkers: []string{" "}, HealthPaths: []string{"health"}, APIPrefixes: []string{"api/"}},
		"bot_markers[0]: must not be empty", `health_paths[0]: "health" must start with /`, `api_prefixes[0]: "api/" must start with /`)
}

// TestParseConfigDefaults checks that explicit values survive defaults and
// that the defaults are those of docs/design.md#audience-definitions.
func TestParseConfigDefaults(t *testing.T) {
	var c ParseConfig
	c.ApplyDefaults()
	if c.Format != "ent" || !slices.Equal(c.APIPrefixes, []string{"/api/"}) ||
		!slices.Equal(c.JSON.TimeLayouts, []string{"iso8601"}) || c.JSON.DurationUnit != "s" {
		t.Errorf("defaults: %+v", c)
	}
	c = ParseConfig{LogFormat: ENTFormat, APIPrefixes: []string{}}
	c.ApplyDefaults()
	if c.Format != "" || len(c.APIPrefixes) != 0 {
		t.Errorf("explicit values overwritten: %+v", c)
	}
}
