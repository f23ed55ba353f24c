package simulate

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func runInto(t *testing.T, seed uint64, workers int) (string, Summary) {
	t.Helper()
	dir := t.TempDir()
	sum, err := Run(t.Context(), Options{Out: dir, From: civil(2020, 3, 28), To: civil(2020, 3, 30),
		Scale: 0.003, Seed: seed, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	return dir, sum
}

// TestDeterminism: the same seed gives the same bytes whatever the
// parallelism; another seed gives other logs.
func TestDeterminism(t *testing.T) {
	a, sumA := runInto(t, 1, 1)
	b, _ := runInto(t, 1, 3)
	c, _ := runInto(t, 2, 2)
	if len(sumA.Files) != 3*3+2+1+1 {
		t.Fatalf("%d files, want 9 logs, 2 exports, the load recording and the config", len(sumA.Files))
	}
	differs := 0
	for _, f := range sumA.Files {
		rel, _ := filepath.Rel(a, f.Path)
		// entpipe.yaml names its own directory: compare it with that removed.
		x := bytes.ReplaceAll(read(t, a, rel), []byte(a), []byte("OUT"))
		y := bytes.ReplaceAll(read(t, b, rel), []byte(b), []byte("OUT"))
		z := read(t, c, rel)
		if !bytes.Equal(x, y) {
			t.Errorf("%s: same seed, different bytes", rel)
		}
		if strings.HasPrefix(rel, "logs") && !bytes.Equal(x, z) {
			differs++
		}
	}
	if differs != 9 {
		t.Errorf("seed 2 changed %d of 9 log files, want all", differs)
	}
	for _, name := range []string{"access.log-20200328.gz", "access.log-20200329.gz", "access.log-20200330"} {
		if _, err := os.Stat(filepath.Join(a, "logs", "oze78", name)); err != nil {
			t.Errorf("older days gzipped, the last plain: %v", err)
		}
	}
}

func read(t *testing.T, dir, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEnseignoExport checks the layout and the bulletin's figures for
// March 2020, summed over both départements' exports.
func TestEnseignoExport(t *testing.T) {
	dir := t.TempDir()
	if _, err := writeEnseigno(dir, civil(2020, 2, 1), civil(2020, 3, 31), 1); err != nil {
		t.Fatal(err)
	}
	type key struct {
		month      time.Month
		discipline string
	}
	sums := map[key][4]float64{}
	accounts := map[string]float64{} // by date, all disciplines and départements
	for _, dep := range []string{"92", "78"} {
		data := read(t, dir, filepath.Join("enseigno", "enseigno-"+dep+".csv"))
		if !bytes.HasPrefix(data, []byte("\ufeffDate;Département;Discipline;Comptes activés;Séances;Heures de soutien;Fiches de cours;Exercices\r\n")) {
			t.Fatalf("enseigno-%s.csv: BOM or header missing: %q", dep, data[:80])
		}
		r := csv.NewReader(bytes.NewReader(data[3:]))
		r.Comma = ';'
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if last := rows[len(rows)-1]; last[0] != "Total" {
			t.Errorf("enseigno-%s.csv: last row %v, want the Total row", dep, last)
		}
		for _, row := range rows[1 : len(rows)-1] {
			d, err := time.Parse("02/01/2006", row[0])
			if err != nil || row[1] != dep {
				t.Fatalf("row %v: %v", row, err)
			}
			var v [4]float64
			for k := range v {
				v[k] = number(t, row[4+k])
			}
			s := sums[key{d.Month(), row[2]}]
			for k := range v {
				s[k] += v[k]
			}
			sums[key{d.Month(), row[2]}] = s
			accounts[row[0]] += number(t, row[3])
		}
	}
	month := func(m time.Month, k int) (n float64) {
		for kk, s := range sums {
			if kk.month == m {
				n += s[k]
			}
		}
		return n
	}
	check := func(what string, got, want float64) {
		t.Helper()
		if got < want*0.99 || got > want*1.01 {
			t.Errorf("%s = %.1f, want %.1f", what, got, want)
		}
	}
	check("sessions in February", month(time.February, 0), 10_000)
	check("sessions in March", month(time.March, 0), 30_000)
	check("tutoring hours March / February", month(time.March, 1)/month(time.February, 1), 1.4)
	check("course sheets in March", month(time.March, 2), 28_600)
	check("exercises in March", month(time.March, 3), 80_200)
	check("accounts on 29 February", accounts["29/02/2020"], 5_400)
	if r := accounts["24/03/2020"] / accounts["29/02/2020"]; r < 1.8 || r > 2 {
		t.Errorf("accounts 24 March / 29 February = %.2f, want nearly double", r)
	}
	order := []string{"Mathématiques", "Français", "Anglais", "Histoire-Géographie"}
	for i := 1; i < len(order); i++ {
		if a, b := sums[key{time.March, order[i-1]}][0], sums[key{time.March, order[i]}][0]; a <= b {
			t.Errorf("March sessions: %s %.0f not ahead of %s %.0f", order[i-1], a, order[i], b)
		}
	}
}

// TestLoadRecording: the load follows the traffic, near saturation at
// ENT 92's lockdown peak, low at night and on a school day's evening.
func TestLoadRecording(t *testing.T) {
	dir := t.TempDir()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	st, err := writeLoad(dir, ENTs(), civil(2020, 3, 10), civil(2020, 3, 30), paris, 1)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(st.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	cpu := map[string]float64{} // "ent 2006-01-02 15:04" → cpu_utilization
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for _, l := range lines {
		parts := strings.Split(l, " ")
		if len(parts) != 3 || !strings.HasPrefix(parts[0], "infra_load,department=") {
			t.Fatalf("not line protocol of infra_load: %q", l)
		}
		ns, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ent := strings.TrimSuffix(strings.Split(parts[0], ",ent=")[1], ",host="+strings.Split(parts[0], ",host=")[1])
		v := number(t, strings.TrimPrefix(strings.Split(parts[1], ",")[0], "cpu_utilization="))
		cpu[ent+" "+time.Unix(0, ns).In(paris).Format("2006-01-02 15:04")] = v
	}
	if int64(len(lines)) != st.Lines || len(lines) != 21*3*288-3*12 { // 21 days, 3 ENTs, 5-minute points, one 23-hour day
		t.Errorf("%d lines (summary %d)", len(lines), st.Lines)
	}
	check := func(key string, lo, hi float64) {
		t.Helper()
		if v, ok := cpu[key]; !ok || v < lo || v > hi {
			t.Errorf("cpu %s = %v (present %v), want in [%v, %v]", key, v, ok, lo, hi)
		}
	}
	check("ent92 2020-03-30 09:30", 0.65, 0.98)
	check("ent92 2020-03-10 09:30", 0.2, 0.55)
	check("ent92 2020-03-30 03:30", 0, 0.1)
	check("oze78 2020-03-29 03:00", 0, 0.1) // after the DST jump
}

func number(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}

// BenchmarkWriteDay measures generation speed on ENT 92's lockdown Monday
// (30 March 2020) at 2 % scale, uncompressed into io.Discard: the
// generator's own cost, without gzip or the disk.
func BenchmarkWriteDay(b *testing.B) {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		b.Fatal(err)
	}
	ent := ENTs()[0]
	var lines int64
	for b.Loop() {
		n, err := writeDay(io.Discard, &ent, civil(2020, 3, 30), loc, 0.02, 1)
		if err != nil {
			b.Fatal(err)
		}
		lines += n
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkRun measures the whole command on three days of the three ENTs
// at 1 % scale: gzip, files and the worker pool included.
func BenchmarkRun(b *testing.B) {
	var lines int64
	for b.Loop() {
		sum, err := Run(b.Context(), Options{Out: b.TempDir(), From: civil(2020, 3, 28), To: civil(2020, 3, 30), Scale: 0.01, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		lines += sum.Lines()
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}

// TestCheckENTs: a subset in any order is accepted; an unknown name, and a
// repeated one (two workers would write the same files), are not.
func TestCheckENTs(t *testing.T) {
	for _, names := range [][]string{nil, {"oze78", "ent92"}, ENTNames()} {
		if err := CheckENTs(names); err != nil {
			t.Errorf("CheckENTs(%q): %v", names, err)
		}
	}
	for names, want := range map[string]string{
		"ent93":             `unknown ENT "ent93"`,
		"ent92,oze78,ent92": `ENT "ent92" listed twice`,
	} {
		if err := CheckENTs(strings.Split(names, ",")); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckENTs(%s) = %v, want %s", names, err, want)
		}
	}
}
