package report

import (
	"fmt"
	"strings"
	"time"
)

// frenchDate writes a civil date the French way: "lundi 30 mars 2020".
func frenchDate(d time.Time) string {
	days := [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	return fmt.Sprintf("%s %d %s %d", days[d.Weekday()], d.Day(), monthName(d.Month()), d.Year())
}

// frenchMonth writes "mars 2020".
func frenchMonth(d time.Time) string { return monthName(d.Month()) + " " + fmt.Sprint(d.Year()) }

func monthName(m time.Month) string {
	return [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
		"septembre", "octobre", "novembre", "décembre"}[m-1]
}

// entLabel is the display name of an ENT slug.
func entLabel(ent string) string {
	switch ent {
	case "ent92":
		return "l'ENT 92"
	case "ecollege78":
		return "eCollège 78"
	case "oze78":
		return "Oze 78"
	}
	return ent
}

// departmentLabel is the display name of a département tag.
func departmentLabel(dep string) string {
	switch dep {
	case "92":
		return "Hauts-de-Seine (92)"
	case "78":
		return "Yvelines (78)"
	}
	return dep
}

// disciplineLabel turns an Enseigno discipline slug (collector/enseigno's
// vocabulary) back into its French name.
func disciplineLabel(slug string) string {
	known := map[string]string{"maths": "Mathématiques", "francais": "Français", "anglais": "Anglais",
		"histoire-geo": "Histoire-géographie", "physique-chimie": "Physique-chimie", "svt": "SVT",
		"espagnol": "Espagnol", "allemand": "Allemand", "technologie": "Technologie", "italien": "Italien",
		"latin": "Latin", "emc": "EMC", "sciences": "Sciences", "other": "Autres"}
	if l, ok := known[slug]; ok {
		return l
	}
	if slug == "" {
		return "?"
	}
	return strings.ToUpper(slug[:1]) + strings.ReplaceAll(slug[1:], "-", " ")
}

// thousands writes an integer with French thousands separators: 176 520 →
// "176 520" (narrow no-break spaces).
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// serviceLabel is the French name of an ENT service slug: the ODE
// application names the ENTs share, or the French slugs our example and
// simulated configurations map them to (cahier-de-textes…). Other slugs
// get a capital and spaces for hyphens.
func serviceLabel(slug string) string {
	known := map[string]string{"timeline": "Fil de nouveautés", "conversation": "Messagerie",
		"homeworks": "Cahier de textes", "workspace": "Espace documentaire", "blog": "Blog", "pages": "Pages",
		"actualites": "Actualités", "schoolbook": "Carnet de liaison", "calendar": "Agenda",
		"exercizer": "Exercices", "autre": "Autres", "other": "Autres",
		"fil-de-nouveautes": "Fil de nouveautés", "cahier-de-textes": "Cahier de textes",
		"espace-documentaire": "Espace documentaire", "carnet-de-liaison": "Carnet de liaison"}
	if l, ok := known[slug]; ok {
		return l
	}
	if slug == "" {
		return "?"
	}
	return strings.ToUpper(slug[:1]) + strings.ReplaceAll(slug[1:], "-", " ")
}
