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
// the line. "-" means absent, as nginx writes it. It returns nil or one of
// the shared ParseErrors; the time roles are decoded by the caller.
func setField(r *Request, ro role, v []byte, seen *fieldSet) error {
	*seen |= 1 << ro
	dash := len(v) == 1 && v[0] == '-'
	switch ro {
	case roleIP:
		if !seen.has(roleForwarded) || len(r.IP) == 0 {
			r.IP = v
		}
	case roleForwarded:
		if dash || len(v) == 0 {
			return nil
		}
		if i := bytes.IndexByte(v, ','); i >= 0 {
			v = v[:i]
		}
		r.IP = bytes.TrimSpace(v)
	case roleUser:
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
		r.Profile = v
	}
	return nil
}

// setRequestLine splits "METHOD URI [PROTOCOL]".
func setRequestLine(r *Request, v []byte) error {
	sp := indexByte(v, ' ')
	if sp < 0 || !validMethod(v[:sp]) {
		return errBadRequest
	}
	method, rest := v[:sp], v[sp+1:]
	if sp := bytes.LastIndexByte(rest, ' '); sp >= 0 {
		rest = rest[:sp] // the protocol; a URI never holds a raw space
	}
	path := pathOf(rest)
	if len(path) == 0 || (path[0] != '/' && path[0] != '*') {
		return errBadRequest
	}
	r.Method, r.Path = method, path
	return nil
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
