package enseigno

import "github.com/entpipe/entpipe/collector"

// Activated accounts are a level of the département, not a count of the
// day's activity: some exports split it by discipline (each row its own
// count, the day's total their sum), others repeat the département's level
// on every discipline row, where a sum would multiply it by the number of
// disciplines (issue 18: 6 × 7,965 = 47,790 on 31 March 2020).

// accountsSeen is what the rows of one department-day said about
// activated accounts.
type accountsSeen struct {
	rows   int
	level  float64 // the largest value
	differ bool    // the rows did not all say the same
}

func (a *accountsSeen) add(v float64) {
	if a.rows > 0 && v != a.level {
		a.differ = true
	}
	a.rows++
	a.level = max(a.level, v)
}

// recordAccounts notes a row's activated accounts for accountsMode.
func (p *parser) recordAccounts(k dayKey, v float64) {
	a := p.accounts[k]
	if a == nil {
		a = &accountsSeen{}
		p.accounts[k] = a
	}
	a.add(v)
}

// accountsMode returns how the export gives activated accounts: the
// configured mode, or (auto) per_department when some day has two rows
// or more with accounts and every such day repeats one value, else
// per_discipline. detected says the rows decided it.
func accountsMode(configured string, days map[dayKey]*accountsSeen) (mode string, detected bool) {
	if configured != AccountsAuto {
		return configured, false
	}
	repeated := false
	for _, a := range days {
		if a.differ {
			return AccountsPerDiscipline, true
		}
		repeated = repeated || a.rows > 1
	}
	if repeated {
		return AccountsPerDepartment, true
	}
	return AccountsPerDiscipline, true
}

// perDepartment makes each day's activated accounts the département's
// level: the discipline rows lose the value (it is not theirs) and
// discs[DisciplineAll], the export's own whole-day values, holds the level
// once, for points to write as the day's total. It returns the days whose
// rows disagreed, where the largest value was taken.
func (e export) perDepartment(days map[dayKey]*accountsSeen) (differ int) {
	for k, discs := range e {
		a, ok := days[k]
		if !ok {
			continue
		}
		for disc, u := range discs {
			u.v[iAccounts], u.set[iAccounts] = 0, false
			discs[disc] = u
		}
		var all usage
		all.v[iAccounts], all.set[iAccounts] = a.level, true
		discs[collector.DisciplineAll] = all
		if a.differ {
			differ++
		}
	}
	return differ
}
