package entlog

import "bytes"

// Client addresses are validated because they are where a torn record
// shows first: a record cut short and glued to the next one puts two
// addresses, or an address and a date, where one address belongs
// (`90.75.251.14 90.75.251.14`). The checks below read the bytes in place,
// without allocating (netip.ParseAddr would need a string).

// clientAddress reports whether v is what nginx writes for $remote_addr:
// an IPv4 or IPv6 address, "-" (an empty variable) or "unix:" (a
// Unix-domain socket). IPv4 addresses of 0.0.0.0/8 ("this network") are
// refused: no request comes from them, and they are what the tail of a
// torn address looks like (`0.64.1.2` from `100.64.1.2`).
func clientAddress(v []byte) bool {
	switch {
	case len(v) == 1 && v[0] == '-', string(v) == "unix:":
		return true
	case isIPv4(v):
		return v[0] != '0'
	}
	return isIPv6(v)
}

// forwardedFor validates $http_x_forwarded_for, "client, proxy1, proxy2"
// (or "-"), and returns the first address, the client, without a port.
// Every element must be an address, optionally with a port (`1.2.3.4:5678`,
// `[2001:db8::1]:443`), or `unknown` as some proxies write; first is nil
// when there is no usable client address (the connection's then counts).
func forwardedFor(v []byte) (first []byte, ok bool) {
	switch {
	case len(v) == 0 || len(v) == 1 && v[0] == '-':
		return nil, true
	case isIPv4(v): // the most common value: one address
		return v, true
	}
	for n := 0; len(v) > 0; n++ {
		elem := v
		if i := indexByte(v, ','); i >= 0 {
			elem, v = v[:i], v[i+1:]
			if len(v) == 0 {
				return nil, false // trailing comma
			}
		} else {
			v = nil
		}
		// Only spaces, what proxies put after commas: nginx's log escapes
		// other blanks (\x09), so a raw one means a torn or forged list.
		elem = bytes.Trim(elem, " ")
		addr, ok := withoutPort(elem)
		if !ok && string(elem) != "unknown" {
			return nil, false
		}
		if n == 0 && ok {
			first = addr
		}
	}
	return first, true
}

// withoutPort returns the address of an element of X-Forwarded-For: an
// address, `a.b.c.d:port` or `[v6]:port`.
func withoutPort(e []byte) ([]byte, bool) {
	if isIPv4(e) || isIPv6(e) {
		return e, true
	}
	i := len(e) - 1
	for i > 0 && e[i] >= '0' && e[i] <= '9' {
		i--
	}
	if i <= 0 || e[i] != ':' || i == len(e)-1 || len(e)-1-i > 5 {
		return nil, false
	}
	host := e[:i]
	if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' && isIPv6(host[1:len(host)-1]) {
		return host[1 : len(host)-1], true
	}
	return host, isIPv4(host)
}

// isIPv4 accepts four decimal octets of 0 to 255 without leading zeros,
// the dotted form netip.ParseAddr accepts. The addresses of a log vary in
// the length of their octets, so the octets are read without a branch on
// their digits: one per byte was mispredicted about twice an octet, the
// slowest part of parsing a line.
func isIPv4(b []byte) bool {
	if len(b) < 7 || len(b) > 15 {
		return false
	}
	// Zero padded: reading past the address finds no digit. Indexes wrap
	// at 16 (no bounds checks): a read there is past the 15 bytes of the
	// longest address, and i then ends beyond len(b), which rejects b.
	var buf [16]byte
	copy(buf[:], b)
	i, bad := 0, 0
	for octet := range 4 {
		c0, c1, c2 := buf[i&15]-'0', buf[(i+1)&15]-'0', buf[(i+2)&15]-'0'
		two := b2i(c1 <= 9)
		three := two & b2i(c2 <= 9)
		v1 := int(c0)
		v2 := v1*10 + int(c1)
		v3 := v2*10 + int(c2)
		v := v1 + two*(v2-v1) + three*(v3-v2)                // the value of the digits there are
		bad |= b2i(c0 > 9) | b2i(v > 255) | two&b2i(c0 == 0) // a digit, at most 255, no leading zero
		i += 1 + two + three
		if octet < 3 {
			bad |= b2i(buf[i&15] != '.')
			i++
		}
	}
	return bad == 0 && i == len(b)
}

// b2i is 1 for true: the compiler makes it a flag, not a branch.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isIPv6 accepts what netip.ParseAddr accepts for IPv6 without a zone:
// eight groups of one to four hex digits separated by colons, one "::"
// standing for one or more zero groups, and an optional dotted IPv4 tail
// counting as two groups (`::ffff:192.0.2.1`).
func isIPv6(b []byte) bool {
	if len(b) < 2 || len(b) > 45 {
		return false
	}
	groups, ellipsis, i := 0, false, 0
	if b[0] == ':' {
		if b[1] != ':' {
			return false
		}
		ellipsis, i = true, 2
	}
	for i < len(b) {
		j := i
		for j < len(b) && j-i <= 4 && isHex(b[j]) {
			j++
		}
		if j < len(b) && b[j] == '.' { // the IPv4 tail ends the address
			if groups > 6 || !isIPv4(b[i:]) {
				return false
			}
			groups += 2
			break
		}
		if j == i || j-i > 4 {
			return false
		}
		groups, i = groups+1, j
		if i == len(b) {
			break
		}
		if b[i] != ':' || i+1 == len(b) {
			return false
		}
		i++
		if b[i] == ':' {
			if ellipsis {
				return false
			}
			ellipsis = true
			i++
		}
	}
	if ellipsis {
		return groups <= 7
	}
	return groups == 8
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
}
