package entlog

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// ParseConfig is the part of an entlog section that says how a line becomes
// a classified Request: the log format and the vocabularies of
// docs/design.md#vocabularies.
// Values extend the built-in defaults (bot markers, profile aliases); they
// never replace them.
type ParseConfig struct {
	// Format is combined, ent (combined + request time + profile) or json.
	// LogFormat, when set, is an nginx log_format string compiled into the
	// parser instead.
	Format    string `yaml:"format"`
	LogFormat string `yaml:"log_format"`
	// Fields maps a role (FieldRoles: time, user, profile, path, method,
	// status, bytes, duration, ip, user_agent) to the log_format variable
	// (without $) or the JSON key (dots for nested objects) that carries it.
	// For log_format it names custom variables (profile: ent_profile); for
	// json, unmapped roles use the role's own name as key.
	Fields map[string]string `yaml:"fields"`
	// JSON says how json values are written.
	JSON JSONConfig `yaml:"json"`
	// Profiles maps raw profile values (case-insensitive) to profile slugs,
	// on top of DefaultProfileAliases.
	Profiles map[string]string `yaml:"profiles"`
	// Directory is an optional CSV export `uid;profile[;uai]` giving the
	// profile of users whose lines carry none; reloaded when it changes.
	Directory string `yaml:"directory"`
	// Services maps URL path prefixes to service slugs (longest prefix
	// wins, whole path segments); page views elsewhere count as "autre".
	Services map[string]string `yaml:"services"`
	// BotMarkers extend DefaultBotMarkers (case-insensitive substrings of
	// the user agent).
	BotMarkers []string `yaml:"bot_markers"`
	// HealthPaths are exact paths of health checks (class health).
	HealthPaths []string `yaml:"health_paths"`
	// APIPrefixes are path prefixes of class api; default [/api/].
	APIPrefixes []string `yaml:"api_prefixes"`
}

// JSONConfig describes the values of format json.
type JSONConfig struct {
	// TimeLayouts are tried in order on the time value: iso8601, common
	// (nginx $time_local), unix (seconds), unix_ms, or a Go time layout.
	// Default [iso8601].
	TimeLayouts []string `yaml:"time_layouts"`
	// DurationUnit is the unit of the duration value: s, ms or us.
	// Default s.
	DurationUnit string `yaml:"duration_unit"`
}

// Formats lists the accepted values of Format.
func Formats() []string { return []string{"combined", "ent", "json"} }

// ApplyDefaults fills unset optional values.
func (c *ParseConfig) ApplyDefaults() {
	if c.Format == "" && c.LogFormat == "" {
		c.Format = "ent"
	}
	if c.APIPrefixes == nil {
		c.APIPrefixes = []string{"/api/"}
	}
	if c.JSON.TimeLayouts == nil {
		c.JSON.TimeLayouts = []string{"iso8601"}
	}
	if c.JSON.DurationUnit == "" {
		c.JSON.DurationUnit = "s"
	}
}

// Validate records every problem of the parse settings.
func (c *ParseConfig) Validate(p collector.Problems) {
	switch {
	case c.Format != "" && c.LogFormat != "":
		p.At("format").Addf("set either format or log_format, not both")
	case c.LogFormat == "" && !slices.Contains(Formats(), c.Format):
		p.At("format").Addf("%q is not one of %v", c.Format, Formats())
	case c.LogFormat != "":
		if _, err := compileLogFormat(c.LogFormat, c.customVariables(), time.UTC); err != nil {
			p.At("log_format").Addf("%v", err)
		}
	}
	named := map[string]string{} // variable or key → the first role naming it
	for _, r := range slices.Sorted(maps.Keys(c.Fields)) {
		v := c.Fields[r]
		switch _, ok := roleOf(r); {
		case !ok:
			p.At("fields."+r).Addf("unknown role, want one of %v", FieldRoles())
		case v == "":
			p.At("fields." + r).Addf("must name a variable or key")
		case named[v] != "":
			p.At("fields."+r).Addf("%q is already the %s", v, named[v])
		default:
			named[v] = r
		}
	}
	c.JSON.validate(p.At("json"))
	for _, raw := range slices.Sorted(maps.Keys(c.Profiles)) {
		if slug := c.Profiles[raw]; !slices.Contains(collector.Profiles(), slug) || slug == collector.ProfileAnonyme {
			p.At("profiles."+raw).Addf("%q is not one of %v", slug, slices.DeleteFunc(collector.Profiles(), func(s string) bool { return s == collector.ProfileAnonyme }))
		}
	}
	for _, prefix := range slices.Sorted(maps.Keys(c.Services)) {
		if !strings.HasPrefix(prefix, "/") {
			p.At("services." + prefix).Addf("prefix must start with /")
		}
		if slug := c.Services[prefix]; !collector.ValidSlug(slug) {
			p.At("services."+prefix).Addf("%q is not a slug (lowercase letters, digits, dashes)", slug)
		}
	}
	for i, m := range c.BotMarkers {
		if strings.TrimSpace(m) == "" {
			p.At(fmt.Sprintf("bot_markers[%d]", i)).Addf("must not be empty")
		}
	}
	checkPaths(p, "health_paths", c.HealthPaths)
	checkPaths(p, "api_prefixes", c.APIPrefixes)
}

func (j *JSONConfig) validate(p collector.Problems) {
	for i, l := range j.TimeLayouts {
		if _, ok := timeLayouts()[l]; !ok && !strings.Contains(l, "2006") {
			p.At(fmt.Sprintf("time_layouts[%d]", i)).Addf("%q is not iso8601, common, unix, unix_ms or a Go layout (with 2006)", l)
		}
	}
	if _, ok := durationUnits()[j.DurationUnit]; !ok {
		p.At("duration_unit").Addf("%q is not one of [s ms us]", j.DurationUnit)
	}
}

func checkPaths(p collector.Problems, key string, paths []string) {
	for i, s := range paths {
		if !strings.HasPrefix(s, "/") {
			p.At(fmt.Sprintf("%s[%d]", key, i)).Addf("%q must start with /", s)
		}
	}
}

// customVariables maps the log_format variables named in Fields to their
// roles (a variable mapped to time is read as ISO 8601); format ent adds ent_profile as the profile unless Fields says
// otherwise.
func (c *ParseConfig) customVariables() map[string]role {
	vars := map[string]role{}
	if c.Format == "ent" && c.LogFormat == "" {
		vars["ent_profile"] = roleProfile
	}
	for name, variable := range c.Fields {
		if r, ok := roleOf(name); ok {
			vars[variable] = r
		}
	}
	return vars
}
