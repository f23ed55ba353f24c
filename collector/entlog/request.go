package entlog

import "time"

// Request is one parsed log line, the hand-off between the parsers
// (format → Request) and the audience engine (Request → visits, page views,
// visitors, buckets).
//
// Byte-slice fields alias the caller's line buffer: they are valid only
// until the next line is parsed, which is what keeps the hot path free of
// allocations. User, IP and UserAgent are identities: they may be hashed
// (salted) or matched against the bot list, never copied out of this
// package, logged, or stored.
type Request struct {
	Time        time.Time // the line's own instant (its UTC offset, else the configured zone)
	Method      []byte    // GET, POST…
	Path        []byte    // the URL path, query string removed
	Status      int       // HTTP status code
	Bytes       int64     // response body bytes; 0 when "-"
	Duration    float64   // request time in seconds, valid when HasDuration
	HasDuration bool
	User        []byte // authenticated user id; empty or "-" when anonymous
	IP          []byte // client address
	UserAgent   []byte
	Profile     []byte // raw profile value when the format carries one (ent, log_format, json)
}

// Parser turns one line (without its newline) into r, overwriting every
// field. It returns a *ParseError for lines it cannot use; it must not
// panic or allocate in proportion to the line on any input.
type Parser interface {
	Parse(line []byte, r *Request) error
}
