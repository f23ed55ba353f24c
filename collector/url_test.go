package collector

import "testing"

func TestRedactURL(t *testing.T) {
	for raw, want := range map[string]string{
		"http://127.0.0.1:8086":                     "http://127.0.0.1:8086",
		"http://admin:s3cret@influx:8086":           "http://admin:xxxxx@influx:8086",
		"https://admin:s3cret@influx:8086/sub?x=1":  "https://admin:xxxxx@influx:8086/sub?x=1",
		"http://admin@influx:8086":                  "http://admin@influx:8086",
		"http://admin:p@ss/w?rd#@influx:8086":       "http://admin:xxxxx@influx:8086", // unparsable: still masked
		"admin:s3cret@influx:8086":                  "admin:xxxxx@influx:8086",
		"http://admin:s3cret%40x@influx:8086/a?b=c": "http://admin:xxxxx@influx:8086/a?b=c",
		"": "",
	} {
		if got := RedactURL(raw); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", raw, got, want)
		}
	}
}
