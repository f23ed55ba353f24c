package main

import (
	"reflect"
	"slices"
	"testing"
)

// TestWidened: during a reload the exporter allows the values of both
// configurations, and a key either leaves unrestricted stays unrestricted.
func TestWidened(t *testing.T) {
	got := widened(
		map[string][]string{"ent": {"ent92"}, "department": {"92"}, "profile": {"Eleve"}},
		map[string][]string{"ent": {"ent92", "oze78"}, "department": {"78"}},
	)
	for key := range got {
		slices.Sort(got[key])
		got[key] = slices.Compact(got[key])
	}
	if want := map[string][]string{"ent": {"ent92", "oze78"}, "department": {"78", "92"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("widened = %v, want %v", got, want)
	}
}

// TestRestartOnly: every key a reload cannot apply is named, in order.
func TestRestartOnly(t *testing.T) {
	running := &Config{DataDir: "/var/lib/entpipe", Timezone: "Europe/Paris"}
	next := *running
	if keys := restartOnly(running, &next); keys != nil {
		t.Errorf("same configuration: %v", keys)
	}
	next.DataDir, next.Timezone, next.SaltFile = "/srv/entpipe", "UTC", "salt"
	next.Influx.URL = "http://influx:8086"
	if keys, want := restartOnly(running, &next), []string{"data_dir", "influx", "salt_file", "timezone"}; !slices.Equal(keys, want) {
		t.Errorf("restartOnly = %v, want %v", keys, want)
	}
}
