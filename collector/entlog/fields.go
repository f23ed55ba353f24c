package entlog

import "bytes"

// role is what a field of a line means for a Request. Both the log_format
// compiler (variables) and the JSON parser (keys) map their fields to roles,
// and one decoder (setField) turns a role's text into Request fields.
type role uint8

const (
	roleSkip      role = iota // read past, ignored ($http_referer, $host, unknown variables)
	roleIP                    // $remote_addr
	roleForwarded             // $http_x_forwarded_for: first address wins over $remote_addr
	roleUser                  // $remote_user
	roleTimeLocal             // $time_local
	roleTimeISO               // $time_iso8601
	roleTimeUnix              // $msec: epoch seconds with a fraction
	roleRequest               // $request: "METHOD URI PROTOCOL"
	roleMethod                // $request_method
	roleURI                   // $request_uri, $uri: path, query string dropped
	roleStatus                // $status
	roleBodyBytes             // $body_bytes_sent
	roleBytes                 // $bytes_sent: used when the line has no body byte count
	roleDuration              // $request_time, seconds
	roleUserAgent             // $http_user_agent
	roleProfile               // a custom variable mapped with fields.profile
)

// nginxVariables maps the nginx variables entpipe understands to roles.
// Any other variable is read past (roleSkip) unless `fields` maps it.
func nginxVariables() map[string]role {
	return map[string]role{
		"remote_addr": roleIP, "http_x_forwarded_for": roleForwarded, "remote_user": roleUser,
		"time_local": roleTimeLocal, "time_iso8601": roleTimeISO, "msec": roleTimeUnix, "request": roleRequest,
		"request_method": roleMethod, "request_uri": roleURI, "uri": roleURI, "status": roleStatus,
		"body_bytes_sent": roleBodyBytes, "bytes_sent": roleBytes, "request_time": roleDuration,
		"http_user_agent": roleUserAgent,
	}
}

// FieldRoles lists the roles a `fields:` entry may map (role → log_format
// variable or JSON key), for validation and documentation.
func FieldRoles() []string {
	return []string{"time", "user", "profile", "path", "method", "status", "bytes", "duration", "ip", "user_agent"}
}

// roleOf maps a FieldRoles name to a role. Time maps to roleTimeISO: the
// JSON parser picks its layout from json_time_layouts instead.
func roleOf(name string) (role, bool) {
	r, ok := map[string]role{
		"time": roleTimeISO, "user": roleUser, "profile": roleProfile, "path": roleURI,
		"method": roleMethod, "status": roleStatus, "bytes": roleBodyBytes,
		"duration": roleDuration, "ip": roleIP, "user_agent": roleUserAgent,
	}[name]
	return r, ok
}

// fieldSet records which roles a line filled, to check the mandatory ones
// and to resolve precedence ($http_x_forwarded_for over $remote_addr,
// $body_bytes_sent over $bytes_sent) whatever the order of the fields.
type fieldSet uint32

func (s fieldSet) has(r role) bool { return s&(1<<r) != 0 }

func (s fieldSet) hasTime() bool {
	return s.has(roleTimeLocal) || s.has(roleTimeISO) || s.has(roleTimeUnix)
}

// setField decodes v, the text of a field with role ro, into r. v aliases
// the line. "-" means absent, as nginx writes it. delimited says v was cut
// out of the line by format text (log_format), where a user or profile
// holding a space means the value ran into the next record; JSON strings
// cannot. It returns nil or one of the shared ParseErrors; the time roles
// are decoded by the caller.
func setField(r *Request, ro role, v []byte, seen *fieldSet, delimited bool) error {
	*seen |= 1 << ro
	dash := len(v) == 1 && v[0] == '-'
	switch ro {
	case roleIP:
		if !clientAddress(v) {
			return errBadAddress
		}
		if !seen.has(roleForwarded) || len(r.IP) == 0 {
			r.IP = v
		}
	case roleForwarded:
		first, ok := forwardedFor(v)
		if !ok {
			return errBadAddress
		}
		if first != nil {
			r.IP = first
		}
	case roleUser:
		if delimited && !validUser(v) {
			return errBadUser
		}
		r.User = v
	case roleRequest:
		return setRequestLine(r, v)
	case roleMethod:
		if !validMethod(v) {
			return errBadRequest
		}
		r.Method = v
	case roleURI:
		r.Path = pathOf(v)
		if len(r.Path) == 0 || r.Path[0] != '/' {
			return errBadRequest
		}
	case roleStatus:
		n, ok := digits(v)
		if !ok || len(v) != 3 || n < 100 || n > 599 {
			return errBadStatus
		}
		r.Status = n
	case roleBodyBytes, roleBytes:
		if ro == roleBytes && seen.has(roleBodyBytes) {
			return nil
		}
		if dash {
			r.Bytes = 0
			return nil
		}
		n, ok := digits(v)
		if !ok || len(v) > 18 {
			return errBadNumber
		}
		r.Bytes = int64(n)
	case roleDuration:
		if dash {
			return nil
		}
		d, ok := decimal(v)
		if !ok {
			return errBadNumber
		}
		r.Duration, r.HasDuration = d, true
	case roleUserAgent:
		r.UserAgent = v
	case roleProfile:
		if delimited && !validProfile(v) {
			return errBadProfile
		}
		r.Profile = v
	}
	return nil
}

// validUser reports whether v, delimited by format text, can be a
// $remote_user or user id: no space, tab or quote. A torn record glued to
// the next one shows up here as `jdupont 192.0.2.7 - jdupont`.
func validUser(v []byte) bool {
	for _, c := range v {
		if c == ' ' || c == '\t' || c == '"' {
			return false
		}
	}
	return true
}

// validProfile reports whether v, delimited by format text, can be a
// profile value: a code of ASCII letters, digits, `_` and `-` (non-ASCII
// letters allowed), or empty. A space, dot, colon or quote means the value
// ran into something else, such as the address of the next record
// (`PERSON2a01:e0a:…`).
func validProfile(v []byte) bool {
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c >= 0x80) {
			return false
		}
	}
	return true
}

// setRequestLine splits $request: exactly "METHOD SP target SP HTTP/x.y",
// or "METHOD SP target" (HTTP/0.9). A target never holds a raw space, so
// any other shape (a line glued into the request, a request nginx could
// not parse) is a bad request.
func setRequestLine(r *Request, v []byte) error {
	sp := indexByte(v, ' ')
	if sp < 0 || !validMethod(v[:sp]) {
		return errBadRequest
	}
	method, target := v[:sp], v[sp+1:]
	if n := len(target) - len(" HTTP/1.1"); n >= 0 && target[n] == ' ' {
		if !isProtocol(target[n+1:]) {
			return errBadRequest
		}
		target = target[:n]
	}
	if bytes.IndexByte(target, ' ') >= 0 {
		return errBadRequest
	}
	path := pathOf(target)
	if len(path) == 0 || (path[0] != '/' && path[0] != '*') {
		return errBadRequest
	}
	r.Method, r.Path = method, path
	return nil
}

// isProtocol reports whether p is "HTTP/x.y" (nginx logs HTTP/2 and 3 as
// HTTP/2.0 and HTTP/3.0).
func isProtocol(p []byte) bool {
	return len(p) == 8 && string(p[:5]) == "HTTP/" && p[5]-'0' <= 9 && p[6] == '.' && p[7]-'0' <= 9
}

// validMethod accepts an HTTP method as servers log it: 1 to 16 uppercase
// letters (methods are case-sensitive: "get" is not GET).
func validMethod(m []byte) bool {
	if len(m) == 0 || len(m) > 16 {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// pathOf returns the path of a request URI: query string and fragment
// dropped, scheme and host of an absolute URI (proxy form) removed.
func pathOf(uri []byte) []byte {
	if len(uri) > 0 && uri[0] != '/' {
		if i := bytes.Index(uri, []byte("://")); i > 0 {
			uri = uri[i+3:]
			j := bytes.IndexByte(uri, '/')
			if j < 0 {
				return uri[len(uri):] // no path: rejected by the caller
			}
			uri = uri[j:]
		}
	}
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if i := bytes.IndexByte(uri, '#'); i >= 0 {
		uri = uri[:i]
	}
	return uri
}

// decimal parses an unsigned decimal such as 0.123 (nginx's $request_time).
func decimal(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 24 {
		return 0, false
	}
	var whole, frac uint64
	scale := 1.0
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		whole = whole*10 + uint64(b[i]-'0')
	}
	if i == 0 {
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			frac = frac*10 + uint64(b[i]-'0')
			scale *= 10
		}
	}
	if i != len(b) {
		return 0, false
	}
	return float64(whole) + float64(frac)/scale, true
}
