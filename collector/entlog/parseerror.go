package entlog

// Reasons a line is rejected (ParseError.Reason). They are the label values
// of entpipe_lines_total{result} for invalid lines, so the set is closed and
// small: add a constant here and to ParseReasons, never build one at run time.
const (
	ReasonMalformed  = "malformed"   // does not match the format's layout (garbage, truncated, bad JSON)
	ReasonBinary     = "binary"      // control bytes (NUL, escape…) in the line
	ReasonBadUTF8    = "bad_utf8"    // bytes above 0x7F that are not valid UTF-8
	ReasonTooLong    = "too_long"    // longer than MaxLineBytes
	ReasonBadTime    = "bad_time"    // missing or impossible timestamp
	ReasonBadRequest = "bad_request" // request line without a usable method and path
	ReasonBadStatus  = "bad_status"  // status is not a number in 100–599
	ReasonBadNumber  = "bad_number"  // bytes or request time is not a number
)

// MaxLineBytes bounds a line the parsers accept. Longer lines are rejected
// with ReasonTooLong before any field is read; readers may cut a line at
// this length (plus one byte) and still get the right verdict.
const MaxLineBytes = 64 << 10

// ParseReasons lists every ParseError.Reason, for registering the label
// values of entpipe_lines_total up front.
func ParseReasons() []string {
	return []string{ReasonMalformed, ReasonBinary, ReasonBadUTF8, ReasonTooLong,
		ReasonBadTime, ReasonBadRequest, ReasonBadStatus, ReasonBadNumber}
}

// ParseError says why a line was rejected. Reason is one of ParseReasons;
// Msg is a short constant explanation that never quotes the line, since the
// line may hold identities: callers that sample bad lines for the log decide
// themselves what they may show.
//
// Parsers return pointers to preallocated, immutable ParseErrors so that a
// flood of bad lines does not allocate; never modify a returned error.
type ParseError struct {
	Reason string
	Msg    string
}

// Error implements error.
func (e *ParseError) Error() string { return "entlog: " + e.Reason + ": " + e.Msg }

// The errors parsers return. Shared and immutable (see ParseError).
var (
	errMalformed   = &ParseError{ReasonMalformed, "line does not match the format"}
	errBadJSON     = &ParseError{ReasonMalformed, "not a JSON object"}
	errBinary      = &ParseError{ReasonBinary, "control bytes in line"}
	errBadUTF8     = &ParseError{ReasonBadUTF8, "invalid UTF-8"}
	errTooLong     = &ParseError{ReasonTooLong, "line longer than the limit"}
	errBadTime     = &ParseError{ReasonBadTime, "bad or missing timestamp"}
	errBadRequest  = &ParseError{ReasonBadRequest, "bad or missing request line"}
	errBadStatus   = &ParseError{ReasonBadStatus, "bad or missing status"}
	errBadNumber   = &ParseError{ReasonBadNumber, "bad byte count or request time"}
	errMissingPath = &ParseError{ReasonBadRequest, "missing path"}
	// Malformed fields: what a record torn and glued to the next one
	// looks like (issue 18).
	errBadAddress = &ParseError{ReasonMalformed, "client address is not an IP address"}
	errBadUser    = &ParseError{ReasonMalformed, "user holds a space or quote"}
	errBadProfile = &ParseError{ReasonMalformed, "profile is not a code (letters, digits, _ and -)"}
	errBadQuote   = &ParseError{ReasonMalformed, "quoted value does not end where the format says"}
	errTrailing   = &ParseError{ReasonMalformed, "text after the last field does not start with a space"}
)
