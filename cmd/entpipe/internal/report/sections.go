package report

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/entpipe/entpipe/collector"
)

// builder queries InfluxDB for each chart of the report.
type builder struct {
	q   Querier
	loc *time.Location
	o   Options
}

// entFilter is the WHERE clause of the chosen ENT.
func (b *builder) entFilter() string {
	return fmt.Sprintf("%q = %s", collector.TagENT, quote(b.o.ENT))
}

// fill runs q and adds, for every point, the listed columns to the cells of
// row idx[t] of the series named by the column's position in cols.
func (b *builder) fill(ctx context.Context, influxQL string, idx map[int64]int, cols []string, into [][]float64) error {
	points, err := run(ctx, b.q, b.loc, influxQL)
	if err != nil {
		return err
	}
	for _, p := range points {
		i, ok := idx[p.t.Unix()]
		if !ok {
			continue
		}
		for c, col := range cols {
			into[c][i] += p.vals[col]
		}
	}
	return nil
}

func cells(vs []float64) []cell {
	out := make([]cell, len(vs))
	for i, v := range vs {
		out[i] = cell{v: v}
	}
	return out
}

func matrix(n, rows int) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, rows)
	}
	return m
}

const ruleTenMinutes = "Une tranche de 10 minutes n'est publiée que si au moins 5 visites y ont commencé " +
	"(chaque visite commencée est un visiteur distinct) ; les visites en cours, qui comptent des visiteurs distincts, " +
	"sont masquées en dessous de 5."

// intraday: visits started, page views and open visits of the chosen day
// per 10 minutes, at the ENT grain.
func (b *builder) intraday(ctx context.Context) (*table, error) {
	s := days(b.o.Day, b.o.Day, b.loc)
	t := &table{ID: "acces-journee", Kind: linesOverTime, XName: "heure", TimeLayout: "2006-01-02 15:04",
		Title:   fmt.Sprintf("Accès à %s le %s, par tranche de 10 minutes", entLabel(b.o.ENT), frenchDate(b.o.Day)),
		Caption: "Visites commencées, pages vues et visites en cours (maximum de la tranche), heure de Paris.",
		YName:   "nombre", Times: s.steps(10 * time.Minute), Rule: ruleTenMinutes}
	idx, m := index(t.Times), matrix(3, len(t.Times))
	if err := b.fill(ctx, fmt.Sprintf(`SELECT sum(%q) AS v, sum(%q) AS pv FROM %q WHERE %s AND %s GROUP BY time(10m) %s`,
		collector.FieldVisits, collector.FieldPageViews, collector.MeasTraffic, b.entFilter(), s.where(), tz),
		idx, []string{"v", "pv"}, m[:2]); err != nil {
		return nil, err
	}
	if err := b.fill(ctx, fmt.Sprintf(`SELECT max(%q) AS o FROM %q WHERE %s AND %s GROUP BY time(10m) %s`,
		collector.FieldOpenVisits, collector.MeasActive, b.entFilter(), s.where(), tz),
		idx, []string{"o"}, m[2:]); err != nil {
		return nil, err
	}
	t.Series = []series{{"Visites", cells(m[0])}, {"Pages vues", cells(m[1])}, {"Visites en cours", cells(m[2])}}
	protect(t, m[0], 0, 1)
	protect(t, m[2], 2)
	return t, nil
}

// profileGroup is one published profile line: several profiles merged.
type profileGroup struct {
	name     string
	profiles []string
}

// profileGroups are the published profiles; the rare ones are merged so
// that fewer cells fall under the threshold.
func profileGroups() []profileGroup {
	return []profileGroup{
		{"Élèves", []string{collector.ProfileEleve}},
		{"Parents", []string{collector.ProfileParent}},
		{"Enseignants", []string{collector.ProfileEnseignant}},
		{"Personnels", []string{collector.ProfilePersonnel}},
		{"Autres (invités, anonymes)", []string{collector.ProfileInvite, collector.ProfileAutre, collector.ProfileAnonyme, collector.Other}},
	}
}

const ruleDaily = "Une case (jour × profil, ou jour) n'est publiée que si au moins 5 visiteurs uniques " +
	"l'ont produite ce jour-là ; les profils rares sont regroupés dans « Autres »."

// profiles: visits per day and profile group over the report's period.
func (b *builder) profiles(ctx context.Context) (*table, error) {
	s := days(b.o.From, b.o.To, b.loc)
	t := &table{ID: "consultations-profils", Kind: linesOverTime, XName: "date", TimeLayout: time.DateOnly,
		Title:   fmt.Sprintf("Consultations quotidiennes de %s par profil depuis la rentrée", entLabel(b.o.ENT)),
		Caption: fmt.Sprintf("Visites par jour et par profil, du %s au %s.", frenchDate(b.o.From), frenchDate(b.o.To)),
		YName:   "visites", Times: s.steps(0), Rule: ruleDaily}
	groups := profileGroups()
	idx := index(t.Times)
	visits, visitors := matrix(len(groups), len(t.Times)), matrix(len(groups), len(t.Times))
	points, err := run(ctx, b.q, b.loc, fmt.Sprintf(`SELECT sum(%q) AS v FROM %q WHERE %s AND %s GROUP BY time(1d), %q %s`,
		collector.FieldVisits, collector.MeasTraffic, b.entFilter(), s.where(), collector.TagProfile, tz))
	if err != nil {
		return nil, err
	}
	more, err := run(ctx, b.q, b.loc, fmt.Sprintf(`SELECT sum(%q) AS u FROM %q WHERE %s AND %q = %s AND %s GROUP BY time(1d), %q %s`,
		collector.FieldUniqueVisitors, collector.MeasVisitors, b.entFilter(), collector.TagPeriod, quote(collector.PeriodDay),
		s.where(), collector.TagProfile, tz))
	if err != nil {
		return nil, err
	}
	for _, p := range append(points, more...) {
		i, ok := idx[p.t.Unix()]
		if !ok {
			continue
		}
		g := groupOf(groups, p.tags[collector.TagProfile])
		visits[g][i] += p.vals["v"]
		visitors[g][i] += p.vals["u"]
	}
	for g := range groups {
		t.Series = append(t.Series, series{groups[g].name, cells(visits[g])})
		protect(t, visitors[g], g)
	}
	return t, nil
}

func groupOf(groups []profileGroup, profile string) int {
	for g, gr := range groups {
		for _, p := range gr.profiles {
			if p == profile {
				return g
			}
		}
	}
	return len(groups) - 1 // unknown values go with the rare ones
}

// month: visits and page views per day over the month of the chosen day.
func (b *builder) month(ctx context.Context) (*table, error) {
	first := time.Date(b.o.Day.Year(), b.o.Day.Month(), 1, 0, 0, 0, 0, time.UTC)
	s := days(first, first.AddDate(0, 1, -1), b.loc)
	t := &table{ID: "visites-mois", Kind: linesOverTime, XName: "date", TimeLayout: time.DateOnly,
		Title:   fmt.Sprintf("Visites et pages vues de %s en %s", entLabel(b.o.ENT), frenchMonth(first)),
		Caption: "Visites et pages vues par jour (jours de Paris).", YName: "nombre", Times: s.steps(0), Rule: ruleDaily}
	idx, m := index(t.Times), matrix(3, len(t.Times))
	if err := b.fill(ctx, fmt.Sprintf(`SELECT sum(%q) AS v, sum(%q) AS pv FROM %q WHERE %s AND %s GROUP BY time(1d) %s`,
		collector.FieldVisits, collector.FieldPageViews, collector.MeasTraffic, b.entFilter(), s.where(), tz),
		idx, []string{"v", "pv"}, m[:2]); err != nil {
		return nil, err
	}
	// Each visitor has one profile, so the day's visitors are the sum over profiles.
	if err := b.fill(ctx, fmt.Sprintf(`SELECT sum(%q) AS u FROM %q WHERE %s AND %q = %s AND %s GROUP BY time(1d) %s`,
		collector.FieldUniqueVisitors, collector.MeasVisitors, b.entFilter(), collector.TagPeriod, quote(collector.PeriodDay), s.where(), tz),
		idx, []string{"u"}, m[2:]); err != nil {
		return nil, err
	}
	t.Series = []series{{"Visites", cells(m[0])}, {"Pages vues", cells(m[1])}, {"Visiteurs uniques", cells(m[2])}}
	protect(t, m[2], 0, 1, 2)
	return t, nil
}

// enseigno: activated accounts and sessions per day, both départements.
func (b *builder) enseigno(ctx context.Context) (*table, error) {
	s := days(b.o.From, b.o.To, b.loc)
	t := &table{ID: "enseigno", Kind: linesOverTime, XName: "date", TimeLayout: time.DateOnly,
		Title:   "Enseigno : comptes activés et séances de soutien",
		Caption: "Comptes activés (niveau du jour) et séances du jour, toutes disciplines, 92 et 78 réunis.",
		YName:   "nombre", Times: s.steps(0)}
	idx, m := index(t.Times), matrix(2, len(t.Times))
	if err := b.fill(ctx, fmt.Sprintf(`SELECT sum(%q) AS a, sum(%q) AS s FROM %q WHERE %q = %s AND %s GROUP BY time(1d) %s`,
		collector.FieldActivatedAccounts, collector.FieldSessions, collector.MeasEnseigno, collector.TagDiscipline,
		quote(collector.DisciplineAll), s.where(), tz), idx, []string{"a", "s"}, m); err != nil {
		return nil, err
	}
	t.Series = []series{{"Comptes activés", cells(m[0])}, {"Séances", cells(m[1])}}
	return t, nil
}

// byTag runs a GROUP BY tag query and returns the labels sorted by the
// first column's total, largest first, with each column's values.
func (b *builder) byTag(ctx context.Context, influxQL, tag string, cols []string) ([]string, [][]float64, error) {
	points, err := run(ctx, b.q, b.loc, influxQL)
	if err != nil {
		return nil, nil, err
	}
	sums := map[string][]float64{}
	for _, p := range points {
		v := sums[p.tags[tag]]
		if v == nil {
			v = make([]float64, len(cols))
		}
		for c, col := range cols {
			v[c] += p.vals[col]
		}
		sums[p.tags[tag]] = v
	}
	labels := make([]string, 0, len(sums))
	for l := range sums {
		labels = append(labels, l)
	}
	sort.Slice(labels, func(i, j int) bool {
		a, b := sums[labels[i]][0], sums[labels[j]][0]
		return a > b || a == b && labels[i] < labels[j]
	})
	m := matrix(len(cols), len(labels))
	for i, l := range labels {
		for c := range cols {
			m[c][i] = sums[l][c]
		}
	}
	return labels, m, nil
}

// disciplines: Enseigno activity by discipline over the period.
func (b *builder) disciplines(ctx context.Context) (*table, error) {
	s := days(b.o.From, b.o.To, b.loc)
	labels, m, err := b.byTag(ctx, fmt.Sprintf(`SELECT sum(%q) AS s, sum(%q) AS f, sum(%q) AS e FROM %q WHERE %q != %s AND %s GROUP BY %q`,
		collector.FieldSessions, collector.FieldCourseSheets, collector.FieldExercises, collector.MeasEnseigno,
		collector.TagDiscipline, quote(collector.DisciplineAll), s.where(), collector.TagDiscipline),
		collector.TagDiscipline, []string{"s", "f", "e"})
	if err != nil {
		return nil, err
	}
	for i, l := range labels {
		labels[i] = disciplineLabel(l)
	}
	return &table{ID: "enseigno-disciplines", Kind: barsByLabel, XName: "discipline", Labels: labels, YName: "nombre",
		Title:   "Enseigno : activité par discipline",
		Caption: fmt.Sprintf("Séances, fiches de cours consultées et exercices, du %s au %s, 92 et 78 réunis.", frenchDate(b.o.From), frenchDate(b.o.To)),
		Series:  []series{{"Séances", cells(m[0])}, {"Fiches de cours", cells(m[1])}, {"Exercices", cells(m[2])}}}, nil
}

// services: page views by ENT service and département over the period.
func (b *builder) services(ctx context.Context) (*table, error) {
	s := days(b.o.From, b.o.To, b.loc)
	points, err := run(ctx, b.q, b.loc, fmt.Sprintf(`SELECT sum(%q) AS pv FROM %q WHERE %s GROUP BY %q, %q`,
		collector.FieldPageViews, collector.MeasService, s.where(), collector.TagDepartment, collector.TagService))
	if err != nil {
		return nil, err
	}
	totals, byDep := map[string]float64{}, map[string]map[string]float64{}
	for _, p := range points {
		svc, dep := p.tags[collector.TagService], p.tags[collector.TagDepartment]
		totals[svc] += p.vals["pv"]
		if byDep[dep] == nil {
			byDep[dep] = map[string]float64{}
		}
		byDep[dep][svc] += p.vals["pv"]
	}
	t := &table{ID: "services", Kind: barsByLabel, XName: "service", YName: "pages vues",
		Title:   "Pages vues par service",
		Caption: fmt.Sprintf("Pages vues par service de l'ENT et par département, du %s au %s.", frenchDate(b.o.From), frenchDate(b.o.To))}
	for svc := range totals {
		t.Labels = append(t.Labels, svc)
	}
	sort.Slice(t.Labels, func(i, j int) bool {
		a, b := totals[t.Labels[i]], totals[t.Labels[j]]
		return a > b || a == b && t.Labels[i] < t.Labels[j]
	})
	slugs := t.Labels
	t.Labels = make([]string, len(slugs))
	for i, svc := range slugs {
		t.Labels[i] = serviceLabel(svc)
	}
	deps := make([]string, 0, len(byDep))
	for d := range byDep {
		deps = append(deps, d)
	}
	sort.Strings(deps)
	for _, d := range deps {
		vs := make([]float64, len(slugs))
		for i, svc := range slugs {
			vs[i] = byDep[d][svc]
		}
		t.Series = append(t.Series, series{departmentLabel(d), cells(vs)})
	}
	return t, nil
}
