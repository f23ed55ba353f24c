package report

import (
	"strings"
	"testing"
)

// TestServiceLabels: the French service slugs of our configurations get
// their French names, the ODE names too, and unknown slugs a readable form.
func TestServiceLabels(t *testing.T) {
	for slug, want := range map[string]string{
		"cahier-de-textes": "Cahier de textes", "homeworks": "Cahier de textes",
		"fil-de-nouveautes": "Fil de nouveautés", "messagerie": "Messagerie", "exercices": "Exercices",
		"espace-documentaire": "Espace documentaire", "carnet-de-liaison": "Carnet de liaison",
		"agenda": "Agenda", "autre": "Autres", "vie-scolaire": "Vie scolaire", "": "?",
	} {
		if got := serviceLabel(slug); got != want {
			t.Errorf("serviceLabel(%q) = %q, want %q", slug, got, want)
		}
	}
}

// TestWrapLabel: category labels break at spaces to fit their slot; a
// long word stays whole.
func TestWrapLabel(t *testing.T) {
	for _, tc := range []struct {
		label string
		width int
		want  string
	}{
		{"Fil de nouveautés", 10, "Fil de\nnouveautés"},
		{"Espace documentaire", 10, "Espace\ndocumentaire"},
		{"Carnet de liaison", 10, "Carnet de\nliaison"},
		{"Blog", 10, "Blog"},
		{"Histoire-géographie", 20, "Histoire-géographie"},
	} {
		if got := wrapLabel(tc.label, tc.width); got != tc.want {
			t.Errorf("wrapLabel(%q, %d) = %q, want %q", tc.label, tc.width, got, tc.want)
		}
	}
	if n := labelChars(11); n < 8 || n > 14 {
		t.Errorf("labelChars(11) = %d: eleven services should get about 10 characters each", n)
	}
	if n := labelChars(100); n != 6 {
		t.Errorf("labelChars(100) = %d, want the floor of 6", n)
	}
	for _, l := range strings.Split(wrapLabel("Fil de nouveautés", labelChars(11)), "\n") {
		if len([]rune(l)) > labelChars(11) {
			t.Errorf("line %q longer than %d", l, labelChars(11))
		}
	}
}
