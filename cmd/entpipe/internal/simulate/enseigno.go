package simulate

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// Enseigno figures of the bulletin, for both départements together: the
// monthly totals of March 2020 are exact (sessions 30,000 after 10,000 in
// February, tutoring hours +40 %, 28,600 course sheets, 80,200 exercises);
// the other months are a plausible ramp from the rentrée. Hours are in
// tenths.
func enseignoMonths() map[time.Month][4]int {
	return map[time.Month][4]int{ // sessions, tutoring tenths of hours, course sheets, exercises
		time.September: {2_500, 5_000, 3_000, 8_000},
		time.October:   {4_000, 8_000, 5_000, 14_000},
		time.November:  {6_000, 11_000, 7_500, 21_000},
		time.December:  {5_500, 10_000, 6_500, 18_000},
		time.January:   {8_000, 14_000, 9_500, 27_000},
		time.February:  {10_000, 16_500, 11_000, 31_000},
		time.March:     {30_000, 23_100, 28_600, 80_200},
		time.April:     {34_000, 26_000, 31_000, 86_000},
	}
}

// enseignoAccounts is the activated-accounts curve (both départements):
// about 5,400 at the end of February 2020, nearly doubled by 24 March.
func enseignoAccounts(d time.Time) int {
	knots := []struct {
		day time.Time
		n   float64
	}{
		{civil(2019, 9, 2), 900}, {civil(2019, 10, 1), 2_300}, {civil(2020, 1, 6), 4_300},
		{civil(2020, 2, 29), 5_400}, {civil(2020, 3, 15), 5_750}, {civil(2020, 3, 24), 10_500},
		{civil(2020, 4, 30), 12_100}, {civil(2020, 8, 31), 12_800},
	}
	i := sort.Search(len(knots), func(i int) bool { return knots[i].day.After(d) })
	switch {
	case i == 0:
		return int(knots[0].n)
	case i == len(knots):
		return int(knots[len(knots)-1].n)
	}
	a, b := knots[i-1], knots[i]
	f := d.Sub(a.day).Hours() / b.day.Sub(a.day).Hours()
	return int(math.Round(a.n + (b.n-a.n)*f))
}

// Disciplines in the order of their weight: maths ahead of French,
// English, history-geography.
func disciplines() ([]string, []float64) {
	return []string{"Mathématiques", "Français", "Anglais", "Histoire-Géographie", "Physique-Chimie", "SVT"},
		[]float64{0.33, 0.24, 0.17, 0.12, 0.08, 0.06}
}

// enseignoDeps splits the figures between the two départements.
func enseignoDeps() ([]string, []float64) { return []string{"92", "78"}, []float64{0.58, 0.42} }

// allocate splits total into integer parts proportional to weights, by
// largest remainder, so the parts add up exactly.
func allocate(total int, weights []float64) []int {
	var sum float64
	for _, w := range weights {
		sum += w
	}
	parts := make([]int, len(weights))
	rest := make([]int, len(weights))
	left := total
	for i, w := range weights {
		parts[i] = int(float64(total) * w / sum)
		left -= parts[i]
		rest[i] = i
	}
	sort.SliceStable(rest, func(a, b int) bool {
		fa := float64(total)*weights[rest[a]]/sum - float64(parts[rest[a]])
		fb := float64(total)*weights[rest[b]]/sum - float64(parts[rest[b]])
		return fa > fb
	})
	for i := 0; left > 0; i, left = i+1, left-1 {
		parts[rest[i%len(rest)]]++
	}
	return parts
}

// enseignoMonth returns the four daily totals of every day of d's month (both
// départements), in day order.
func enseignoMonth(d time.Time, seed uint64) [][4]int {
	months := enseignoMonths()
	target, ok := months[d.Month()]
	if !ok { // May to August: the scenario ends in April; keep its level
		target = months[time.April]
	}
	first := civil(d.Year(), d.Month(), 1)
	n := first.AddDate(0, 1, 0).Sub(first).Hours() / 24
	rng := rand.New(rand.NewPCG(seed, uint64(first.Unix())))
	weights := make([]float64, int(n))
	for i := range weights {
		day := first.AddDate(0, 0, i)
		w := [...]float64{0.6, 1, 1, 0.9, 1, 0.95, 0.5}[day.Weekday()]
		if inHoliday(day) {
			w *= 0.6
		}
		if !day.Before(Closure()) {
			w *= 4.2
		}
		weights[i] = w * (0.9 + 0.2*rng.Float64())
	}
	days := make([][4]int, len(weights))
	for k := range 4 {
		for i, v := range allocate(target[k], weights) {
			days[i][k] = v
		}
	}
	return days
}

// writeEnseigno writes enseigno/enseigno-<dep>.csv in the Enseigno
// collector's default layout: UTF-8 with BOM, ";", decimal comma, dd/mm/yyyy,
// one row per day and discipline with daily values (activated accounts are
// the level of the day, split by main discipline), then a Total row.
func writeEnseigno(out string, from, to time.Time, seed uint64) ([]FileStat, error) {
	dir := filepath.Join(out, "enseigno")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	deps, depShares := enseignoDeps()
	names, shares := disciplines()
	var stats []FileStat
	for di, dep := range deps {
		path := filepath.Join(dir, "enseigno-"+dep+".csv")
		f, err := os.Create(path)
		if err != nil {
			return nil, fmt.Errorf("simulate: %w", err)
		}
		w := bufio.NewWriter(f)
		w.WriteString("\ufeffDate;Département;Discipline;Comptes activés;Séances;Heures de soutien;Fiches de cours;Exercices\r\n")
		lines := int64(1)
		var sum [4]int
		var accounts int
		var month [][4]int
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			if month == nil || d.Day() == 1 {
				month = enseignoMonth(d, seed)
			}
			accounts = allocate(enseignoAccounts(d), depShares)[di]
			acc := allocate(accounts, shares)
			var split [4][]int
			for k, v := range month[d.Day()-1] {
				split[k] = allocate(allocate(v, depShares)[di], shares)
			}
			for j, name := range names {
				fmt.Fprintf(w, "%s;%s;%s;%d;%d;%s;%d;%d\r\n", d.Format("02/01/2006"), dep, name,
					acc[j], split[0][j], tenths(split[1][j]), split[2][j], split[3][j])
				lines++
				for k := range sum {
					sum[k] += split[k][j]
				}
			}
		}
		fmt.Fprintf(w, "Total;%s;;%d;%d;%s;%d;%d\r\n", dep, accounts, sum[0], tenths(sum[1]), sum[2], sum[3])
		lines++
		err = w.Flush()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("simulate: write %s: %w", path, err)
		}
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("simulate: %w", err)
		}
		stats = append(stats, FileStat{Path: path, Lines: lines, Bytes: st.Size()})
	}
	return stats, nil
}

// tenths formats n tenths with a decimal comma: 1234 → "123,4".
func tenths(n int) string {
	return strconv.Itoa(n/10) + "," + strconv.Itoa(n%10)
}
