package simulate

import "time"

// holidays returns the 2019–2020 holidays of zone C (académie de
// Versailles), half-open [first day off, day classes resume), the way the
// ministry publishes them ("du samedi 19 octobre au lundi 4 novembre").
func holidays() [][2]time.Time {
	return [][2]time.Time{
		{civil(2019, 10, 19), civil(2019, 11, 4)}, // Toussaint
		{civil(2019, 12, 21), civil(2020, 1, 6)},  // Noël
		{civil(2020, 2, 8), civil(2020, 2, 24)},   // Hiver
		{civil(2020, 4, 4), civil(2020, 4, 20)},   // Printemps
	}
}

func publicHolidays() []time.Time {
	return []time.Time{civil(2019, 11, 1), civil(2019, 11, 11), civil(2019, 12, 25),
		civil(2020, 1, 1), civil(2020, 4, 13), civil(2020, 5, 1), civil(2020, 5, 8)}
}

// Rentree is the first school day of the scenario (2 September 2019), the
// default start of the simulation.
func Rentree() time.Time { return civil(2019, 9, 2) }

// Closure is the first weekday of the 2020 school closure.
func Closure() time.Time { return civil(2020, 3, 16) }

// civil is a calendar date, as a UTC midnight: dates are compared and
// stepped as dates, then placed in Europe/Paris with date.In.
func civil(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// dayKind selects the intraday curve of a day.
type dayKind uint8

const (
	kindSchool    dayKind = iota // Monday, Tuesday, Thursday, Friday with classes
	kindWednesday                // classes in the morning only
	kindWeekend                  // Saturday, Sunday, public holidays
	kindHoliday                  // school holidays, weekdays
	kindLockdown                 // weekday with schools closed: distance learning
)

// dayProfile is what the calendar says about one date.
type dayProfile struct {
	kind   dayKind
	factor float64 // counted visits of the day, relative to the ENT's reference day
	lock   bool    // schools closed: the ENT's lockdown reference applies
}

func inHoliday(d time.Time) bool {
	for _, h := range holidays() {
		if !d.Before(h[0]) && d.Before(h[1]) {
			return true
		}
	}
	return false
}

func isPublicHoliday(d time.Time) bool {
	for _, p := range publicHolidays() {
		if d.Equal(p) {
			return true
		}
	}
	return false
}

// profileOf returns the curve and volume of date d (a civil date). The
// factors were read off the bulletin's charts: weekends at a third of a
// school day, Wednesday lower, holidays at a quarter, a September ramp while
// accounts are activated, a Friday 13 March rush after the closure
// announcement, then a lockdown level (the ENT's lockdown reference) with
// busy weekends, and a spring break during lockdown at about 40 %.
func profileOf(d time.Time) dayProfile {
	wd := d.Weekday()
	weekend := wd == time.Saturday || wd == time.Sunday || isPublicHoliday(d)
	if !d.Before(Closure()) {
		p := dayProfile{kind: kindLockdown, factor: 1, lock: true}
		switch {
		case inHoliday(d) && weekend:
			p.kind, p.factor = kindWeekend, 0.28
		case inHoliday(d):
			p.kind, p.factor = kindHoliday, 0.40
		case wd == time.Saturday:
			p.kind, p.factor = kindWeekend, 0.42
		case wd == time.Sunday || weekend:
			p.kind, p.factor = kindWeekend, 0.50
		default:
			p.factor = [...]float64{1, 1.03, 1, 0.97, 0.98, 0.92, 1}[wd]
			if d.Sub(Closure()) < 48*time.Hour { // first two days: families find their way in
				p.factor *= 0.92
			}
		}
		return p
	}
	var p dayProfile
	switch {
	case d.Month() == 12 && (d.Day() == 24 || d.Day() == 25 || d.Day() == 31) || d.Month() == 1 && d.Day() == 1:
		p = dayProfile{kindWeekend, 0.12, false}
	case inHoliday(d) && weekend:
		p = dayProfile{kindWeekend, 0.20, false}
	case inHoliday(d):
		p = dayProfile{kindHoliday, 0.28, false}
	case wd == time.Saturday:
		p = dayProfile{kindWeekend, 0.33, false}
	case weekend:
		p = dayProfile{kindWeekend, 0.45, false}
	case wd == time.Wednesday:
		p = dayProfile{kindWednesday, 0.80, false}
	default:
		p = dayProfile{kindSchool, [...]float64{1, 1.05, 1, 0.8, 1, 0.9, 1}[wd], false}
	}
	if days := d.Sub(Rentree()).Hours() / 24; days >= 0 && days < 28 {
		p.factor *= 0.55 + 0.45*days/28
	}
	if d.Equal(civil(2020, 3, 13)) {
		p.factor *= 1.18
	}
	return p
}

// hourly returns the curve of k: relative arrival rate of visits by local hour, read off the
// bulletin's intraday chart of a school day (peaks at 8–10 h and 13–15 h
// during classes, after school at 17–19 h, evening homework until 21 h) and
// of 30 March 2020 (a lockdown Monday: the 8–11 h rush of the morning
// assignments). Values are at the middle of the hour; minutes interpolate.
func hourly(k dayKind) [24]float64 {
	return [...][24]float64{
		kindSchool:    {0.4, 0.2, 0.1, 0.1, 0.1, 0.3, 1.5, 4.5, 6.5, 6.0, 6.0, 5.5, 4.0, 5.5, 6.0, 5.5, 5.5, 6.5, 6.5, 5.5, 5.0, 3.5, 1.8, 0.8},
		kindWednesday: {0.4, 0.2, 0.1, 0.1, 0.1, 0.3, 1.5, 4.5, 6.5, 6.0, 5.5, 5.0, 4.5, 3.5, 3.5, 3.5, 4.0, 5.0, 6.0, 5.5, 5.0, 3.5, 1.8, 0.8},
		kindWeekend:   {0.6, 0.3, 0.15, 0.1, 0.1, 0.1, 0.3, 0.8, 1.8, 3.2, 4.2, 4.3, 3.3, 3.3, 4.0, 4.3, 4.5, 5.0, 5.5, 5.2, 5.6, 4.5, 2.5, 1.2},
		kindHoliday:   {0.5, 0.25, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 3.8, 4.5, 4.5, 3.5, 3.8, 4.5, 4.6, 4.6, 4.6, 4.5, 4.0, 3.8, 3.0, 1.8, 0.9},
		kindLockdown:  {0.3, 0.15, 0.1, 0.1, 0.1, 0.2, 0.8, 2.5, 9.0, 10.0, 9.5, 8.0, 4.5, 5.5, 8.0, 7.5, 6.5, 5.5, 5.0, 4.0, 3.5, 2.5, 1.3, 0.6},
	}[k]
}

// rate returns the relative arrival rate at local minute m of a day whose
// curve is c.
func rate(c *[24]float64, m int) float64 {
	x := float64(m)/60 - 0.5 // position in hour-midpoint units
	h := int(x+1) - 1        // floor, also for x in [-0.5, 0)
	frac := x - float64(h)
	a, b := c[(h+24)%24], c[(h+1)%24]
	return a + (b-a)*frac
}
