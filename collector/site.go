package collector

import "regexp"

// Site identifies the ENT platform a source describes. Its two values are
// the department and ent tags of every ENT point, so they are validated
// once here for every collector that embeds it (`yaml:",inline"`).
type Site struct {
	Department string `yaml:"department"` // "92" or "78"
	ENT        string `yaml:"ent"`        // instance slug: ent92, ecollege78, oze78…
}

var slugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidSlug reports whether s is a usable tag value: lowercase ASCII
// letters, digits and dashes, at most 63 characters.
func ValidSlug(s string) bool { return slugRe.MatchString(s) }

// Validate records missing or malformed values.
func (s Site) Validate(p Problems) {
	if s.Department == "" {
		p.At("department").Addf("must be set (e.g. \"92\")")
	} else if !ValidSlug(s.Department) {
		p.At("department").Addf("%q is not a slug (lowercase letters, digits, dashes)", s.Department)
	}
	if s.ENT == "" {
		p.At("ent").Addf("must be set (e.g. \"ent92\")")
	} else if !ValidSlug(s.ENT) {
		p.At("ent").Addf("%q is not a slug (lowercase letters, digits, dashes)", s.ENT)
	}
}

// Tags returns a fresh map holding the site's department and ent tags.
func (s Site) Tags() map[string]string {
	return map[string]string{TagDepartment: s.Department, TagENT: s.ENT}
}
