package enseigno

import "github.com/entpipe/entpipe/collector"

// builtinDisciplines maps folded raw names (see fold) to discipline slugs:
// the college subjects Enseigno offers, under the names exports use.
// A slug also matches itself.
func builtinDisciplines() map[string]string {
	m := map[string]string{}
	for slug, names := range map[string][]string{
		"maths":           {"mathematiques", "math", "mathematics", "mathematique"},
		"francais":        {"french", "lettres", "lettres-modernes"},
		"anglais":         {"english", "anglais-lv1", "lv1-anglais", "langue-anglaise"},
		"histoire-geo":    {"histoire-geographie", "histoire-geographie-emc", "histoire-geographie-education-civique", "histoire", "geographie", "hg", "histoire-geo-emc"},
		"physique-chimie": {"physique", "chimie", "sciences-physiques", "pc"},
		"svt":             {"s-v-t", "sciences-de-la-vie-et-de-la-terre", "biologie"},
		"espagnol":        {"spanish", "espagnol-lv2", "lv2-espagnol"},
		"allemand":        {"german", "allemand-lv2", "lv2-allemand"},
		"technologie":     {"techno", "technology"},
		"italien":         {"italian"},
		"latin":           {"langues-anciennes"},
		"emc":             {"education-morale-et-civique"},
		"sciences":        {"science"},
	} {
		m[slug] = slug
		for _, n := range names {
			m[n] = slug
		}
	}
	return m
}

// disciplines normalises raw discipline names into the bounded slug
// vocabulary: built-in names plus the configured aliases; anything else is
// collector.Other. It is read-only after construction.
type disciplines map[string]string

func newDisciplines(aliases map[string]string) disciplines {
	d := disciplines(builtinDisciplines())
	for raw, slug := range aliases {
		d[fold(raw)] = slug
		d[slug] = slug
	}
	return d
}

// slug returns the discipline slug of raw and whether it was known.
func (d disciplines) slug(raw string) (string, bool) {
	if s, ok := d[fold(raw)]; ok {
		return s, true
	}
	return collector.Other, false
}
