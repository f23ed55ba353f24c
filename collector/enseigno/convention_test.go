package enseigno

import (
	"strings"
	"testing"
)

func TestNumbers(t *testing.T) {
	for _, c := range []struct {
		decimal, in string
		hours       bool
		want        float64
		err         string
	}{
		{"auto", "12,5", true, 12.5, ""},
		{"auto", "12.5", true, 12.5, ""},
		{"comma", "1 234,5", true, 1234.5, ""},
		{"comma", "1\u202f234,5", true, 1234.5, ""},
		{"comma", "12.5", true, 0, "decimal point where a decimal comma"},
		{"point", "12,5", true, 0, "decimal comma where a decimal point"},
		{"auto", "12:30", true, 12.5, ""},
		{"auto", "120h15", true, 120.25, ""},
		{"auto", "12:3", true, 0, "not a duration"},
		{"auto", "NaN", true, 0, "not a non-negative number"},
		{"auto", "1e3", false, 0, "not a non-negative number"},
		{"auto", "0x10", false, 0, "not a non-negative number"},
		{"auto", "5\u00a0400", false, 5400, ""},
		{"auto", "30,0", false, 30, ""},
		{"auto", "30,5", false, 0, "not a whole number"},
	} {
		np := numberParser{c.decimal}
		parse := np.integer
		if c.hours {
			parse = np.hours
		}
		got, err := parse(c.in)
		if (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) || got != c.want {
			t.Errorf("%s %q: %v, %v; want %v, %q", c.decimal, c.in, got, err, c.want, c.err)
		}
	}
}

func TestParseDay(t *testing.T) {
	layout, _ := goLayout("dd/mm/yyyy")
	for in, want := range map[string]string{
		"24/03/2020": "2020-03-24", "4/3/2020": "2020-03-04", "24/03/2020 00:00": "2020-03-24",
		"2020-03-24": "2020-03-24", "2020-03-24T00:00:00+01:00": "2020-03-24", "03/24/2020": "", "2020-03-24x": "", "": "",
	} {
		d, err := parseDay(in, layout)
		if got := d.Format(dayFormat); (err != nil) != (want == "") || err == nil && got != want {
			t.Errorf("parseDay(%q) = %s, %v; want %q", in, got, err, want)
		}
	}
}

func TestDepartment(t *testing.T) {
	for in, want := range map[string]string{
		"92": "92", "078": "", "Yvelines": "78", "HAUTS-DE-SEINE": "92", "Hauts-de-Seine (92)": "92", "2A": "2a",
		"Gironde": "", "99": "",
	} {
		got, err := department(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("department(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestDetectSeparator(t *testing.T) {
	for in, want := range map[string]rune{"a;b;c\n1,5;2;3": ';', "a,b,c\n1;2": ',', "a\tb\tc": '\t', "a": ';'} {
		if got := detectSeparator([]byte(in)); got != want {
			t.Errorf("detectSeparator(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestToUTF8(t *testing.T) {
	for _, c := range []struct{ enc, in, want, err string }{
		{"auto", "\uFEFFDépartement", "Département", ""},
		{"auto", "D\xe9partement", "Département", ""},
		{"utf-8", "D\xe9partement", "", "not valid UTF-8"},
		{"windows-1252", "D\xe9partement \x80", "Département €", ""},
	} {
		got, err := toUTF8([]byte(c.in), c.enc)
		if string(got) != c.want || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s %q: %q, %v", c.enc, c.in, got, err)
		}
	}
}
