package enseigno

import (
	"fmt"
	"regexp"
	"strings"
)

// row validates one row and adds it to p.out, or reports its first bad
// cell. Totals rows and rows of empty cells are skipped.
func (p *parser) row(r rowReader) {
	text := func(c int) string { v, _ := r.get(c); return v.text }
	if p.isTotals(text(colDate)) || p.isTotals(text(colDiscipline)) {
		p.sum.TotalsRows++
		return
	}
	empty := true
	for c := range nColumns {
		empty = empty && text(c) == ""
	}
	if empty {
		return
	}
	p.sum.RowsRead++
	if r.short != nil {
		p.bad(*r.short)
		return
	}
	fail := func(c int, format string, args ...any) {
		e := r.at(c)
		e.Msg = fmt.Sprintf(format, args...)
		p.bad(e)
	}
	day, err := parseDay(text(colDate), p.layout)
	if err != nil {
		fail(colDate, "%v (%s or yyyy-mm-dd)", err, p.cfg.DateLayout)
		return
	}
	if day.After(p.lastDay) {
		fail(colDate, "%s is in the future", day.Format(dayFormat))
		return
	}
	dep := p.cfg.Department
	if v := text(colDepartment); v != "" {
		if dep, err = department(v); err != nil {
			fail(colDepartment, "%v", err)
			return
		}
	}
	if text(colDiscipline) == "" {
		fail(colDiscipline, "discipline is missing")
		return
	}
	disc, known := p.slug(text(colDiscipline))
	var u usage
	for i := range nFields {
		v, ok := r.get(colValues + i)
		if !ok || v.text == "" {
			continue
		}
		u.v[i], err = p.value(i, v)
		if err != nil {
			fail(colValues+i, "%v", err)
			return
		}
		u.set[i] = true
	}
	if !known {
		p.sum.OtherRows++
		p.other()
	}
	p.sum.RowsImported++
	if u.set[iAccounts] {
		p.recordAccounts(dayKey{dep, day}, u.v[iAccounts])
	}
	p.out.add(dayKey{dep, day}, disc, u)
}

type slugOf struct {
	slug  string
	known bool
}

func (p *parser) slug(raw string) (string, bool) {
	s, ok := p.slugs[raw]
	if !ok {
		s.slug, s.known = p.discs.slug(raw)
		p.slugs[raw] = s
	}
	return s.slug, s.known
}

// isTotals reports whether a cell starts with the totals label, ignoring case.
func (p *parser) isTotals(cell string) bool {
	return len(cell) >= len(p.totals) && strings.EqualFold(cell[:len(p.totals)], p.totals)
}

func (p *parser) value(i int, v cell) (float64, error) {
	np := p.numbers
	if v.num {
		np = numberParser{decimal: "point"}
	}
	if i == iHours {
		return np.hours(v.text)
	}
	return np.integer(v.text)
}

func (p *parser) bad(e RowError) {
	p.sum.RowsBad++
	if len(p.sum.Bad) < maxBadRows {
		p.sum.Bad = append(p.sum.Bad, e)
	}
}

var (
	departmentCodeRe = regexp.MustCompile(`^(0[1-9]|[1-8][0-9]|9[0-5]|2a|2b|97[1-6])$`)
	departmentInRe   = regexp.MustCompile(`(?:^|-)(0[1-9]|[1-8][0-9]|9[0-5]|2a|2b|97[1-6])(?:-|$)`)
)

// department reads a French department code ("92"), a name of an
// Île-de-France department, or a label holding a code ("Hauts-de-Seine
// (92)"): a fixed national vocabulary, so the tag stays bounded.
func department(s string) (string, error) {
	f := fold(s)
	if departmentCodeRe.MatchString(f) {
		return f, nil
	}
	names := map[string]string{"paris": "75", "seine-et-marne": "77", "yvelines": "78", "essonne": "91",
		"hauts-de-seine": "92", "seine-saint-denis": "93", "val-de-marne": "94", "val-d-oise": "95"}
	if code, ok := names[f]; ok {
		return code, nil
	}
	if m := departmentInRe.FindStringSubmatch(f); m != nil {
		return m[1], nil
	}
	return "", fmt.Errorf("%q is not a French department code or name", s)
}
