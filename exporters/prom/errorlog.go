package prom

import (
	"log"
	"log/slog"
	"regexp"
	"strings"
)

// addrRE matches the IP addresses, with or without a port, that net/http
// writes in its error log ("http: TLS handshake error from
// 203.0.113.7:51234: EOF"): a client's address is personal data, and
// entpipe's logs carry none.
var addrRE = regexp.MustCompile(`\[[0-9A-Fa-f:.]+(%[^\]]+)?\](:\d+)?|\b(\d{1,3}\.){3}\d{1,3}(:\d+)?\b`)

// serverErrorLog is the http.Server's ErrorLog: its messages as warnings
// of log, with every IP address replaced by "<addr>".
func serverErrorLog(l *slog.Logger) *log.Logger {
	return log.New(scrubbedWriter{l}, "", 0)
}

type scrubbedWriter struct{ log *slog.Logger }

func (w scrubbedWriter) Write(p []byte) (int, error) {
	w.log.Warn(strings.TrimSpace(addrRE.ReplaceAllString(string(p), "<addr>")))
	return len(p), nil
}
