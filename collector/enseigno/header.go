package enseigno

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// columnAliases are the names, folded (see fold), an export may give each
// column when `columns:` does not name it: the French headers Enseigno's
// exports have used, their usual variants and the schema's field names
// (the keys of JSON exports). Indexed by column (Columns.list order).
func columnAliases() [nColumns][]string {
	return [nColumns][]string{
		colDate:       {"date", "jour", "day"},
		colDepartment: {"departement", "department", "dep", "dept", "code-departement"},
		colDiscipline: {"discipline", "matiere", "subject"},
		colValues + iAccounts: {"comptes-actives", "comptes", "nombre-de-comptes", "nombre-de-comptes-actives",
			"comptes-eleves", "comptes-eleves-actives", "eleves-inscrits", "inscrits", "nombre-d-inscrits",
			"activated-accounts", "accounts"},
		colValues + iSessions: {"seances", "sessions", "nombre-de-seances", "nombre-de-sessions", "nb-seances",
			"nb-sessions", "seances-de-soutien", "sessions-de-soutien"},
		colValues + iHours: {"heures-de-soutien", "heures", "duree", "duree-de-soutien", "duree-totale",
			"temps-de-soutien", "nombre-d-heures", "tutoring-hours", "hours"},
		colValues + iSheets: {"fiches-de-cours", "fiches", "fiches-consultees", "fiches-de-cours-consultees",
			"nombre-de-fiches", "course-sheets"},
		colValues + iExercises: {"exercices", "exercices-realises", "nombre-d-exercices", "nb-exercices", "exercises"},
	}
}

// columnLabels name the columns in messages when `columns:` does not.
func columnLabels() [nColumns]string {
	return [nColumns]string{"Date", "Département", "Discipline", "Comptes activés", "Séances", "Heures de soutien",
		"Fiches de cours", "Exercices"}
}

// absent is the `columns:` value saying an export has no such value column.
const absent = "-"

// header is how one export's header cells (CSV) or keys (JSON) map to
// the columns, and what does not fit: the cells that map to nothing and
// the value columns the configuration expects but the export lacks. Both
// are reported, never silently dropped.
type header struct {
	index   [nColumns]int    // the column's cell, -1 when the export lacks it
	names   [nColumns]string // the cell as the export writes it, for reports
	unknown []string         // cells mapping to no column, as written
	missing []string         // expected value columns absent, as field names
}

// resolveHeader maps cells to the columns of cfg: a column named in
// `columns:` matches that name only, the others their aliases, ignoring
// case, accents and spacing. The first cell of a column wins; a second
// one is unknown. Empty cells (a trailing separator) and
// `ignore_columns` are read past.
func resolveHeader(cfg *Config, cells []string) header {
	var h header
	owner := map[string]int{} // folded name → column
	configured := cfg.Columns.list()
	aliases := columnAliases()
	for c := range nColumns {
		if *configured[c] == "" {
			for _, a := range aliases[c] {
				owner[a] = c
			}
		}
	}
	for c := range nColumns { // configured names win over another column's alias
		if name := *configured[c]; name != "" && name != absent {
			owner[fold(name)] = c
		}
	}
	ignored := map[string]bool{}
	for _, name := range cfg.IgnoreColumns {
		ignored[fold(name)] = true
	}
	for c := range h.index {
		h.index[c] = -1
	}
	for i, cell := range cells {
		f := fold(cell)
		c, ok := owner[f]
		switch {
		case f == "" || ignored[f]:
		case !ok:
			h.unknown = append(h.unknown, cell)
		case h.index[c] >= 0:
			h.unknown = append(h.unknown, fmt.Sprintf("%s (a second %s column)", cell, h.names[c]))
		default:
			h.index[c], h.names[c] = i, cell
		}
	}
	for c := colValues; c < nColumns; c++ {
		if h.index[c] < 0 && *configured[c] != absent {
			h.missing = append(h.missing, fieldNames[c-colValues])
		}
	}
	return h
}

// label names column c in messages: its cell, else its configured name,
// else its usual French header.
func (h *header) label(cfg *Config, c int) string {
	switch {
	case h.names[c] != "":
		return h.names[c]
	case *cfg.Columns.list()[c] != "":
		return *cfg.Columns.list()[c]
	}
	return columnLabels()[c]
}

// check rejects an export that lacks the date or discipline column, or
// every value column: a wrong mapping, not bad rows. The error carries the
// header's problems too: the export is dropped, and with it the summary
// that would have listed them, while an unknown cell is often the column
// the configuration meant.
func (h *header) check(cfg *Config, file string) error {
	var missing []string
	for _, c := range []int{colDate, colDiscipline} {
		if h.index[c] < 0 {
			missing = append(missing, fmt.Sprintf("%q", h.label(cfg, c)))
		}
	}
	if !slices.ContainsFunc(h.index[colValues:], func(i int) bool { return i >= 0 }) {
		missing = append(missing, "every value column")
	}
	if len(missing) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%s: missing %s (check columns: in the config)", file, strings.Join(missing, ", "))
	if pr := h.problems(); pr != "" {
		msg += "; " + pr
	}
	return errors.New(msg)
}

// problems renders the unknown cells and missing columns for the summary,
// the fetch warning and check's error, or "" when the header fits.
func (h *header) problems() string {
	var parts []string
	if len(h.unknown) > 0 {
		q := make([]string, len(h.unknown))
		for i, u := range h.unknown {
			q[i] = fmt.Sprintf("%q", u)
		}
		parts = append(parts, "unknown columns "+strings.Join(q, ", ")+" (not read; map them in columns: or list them in ignore_columns:)")
	}
	if len(h.missing) > 0 {
		parts = append(parts, "no "+strings.Join(h.missing, ", ")+" column (not written; set columns: to its header, or \"-\" when the export has none)")
	}
	return strings.Join(parts, "; ")
}
