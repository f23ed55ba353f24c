package collector

import (
	"net/url"
	"strings"
)

// HTTPURL reports whether raw is an absolute http or https URL with a
// host: what every URL of the configuration must be.
func HTTPURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// RedactURL returns raw with the password of its user info masked, as
// url.URL.Redacted does ("http://user:xxxxx@host:8086"), for every message
// that shows a URL. It works on the text, so that a URL too broken to parse
// is masked too: everything between the first ":" after the scheme and
// the last "@" is the password (a path or query holding "@" is masked too
// far, never too little).
func RedactURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		scheme, rest = "", raw
	} else {
		scheme += "://"
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return raw
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return raw
	}
	return scheme + user + ":xxxxx" + rest[at:]
}
