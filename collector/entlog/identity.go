package entlog

import (
	"crypto/sha256"
	"encoding/hex"
)

// Key is the salted hash of a visitor's identity: the only form in which an
// identity outlives the parsing of its line (visit state, unique-visitor
// sets, checkpoints, directory lookups). 128 bits keep collisions negligible
// for millions of visitors while halving memory against a full SHA-256.
type Key [16]byte

// String renders the key in hex, for checkpoints and debugging.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// Hasher derives Keys from identities with a secret salt, so that a key
// cannot be reversed by hashing candidate ids or IPs without the salt. It
// reuses one buffer: not safe for concurrent use (one per source goroutine).
type Hasher struct {
	salt []byte
	buf  []byte
}

// NewHasher returns a Hasher for salt, which must be secret and stable
// across restarts (checkpointed keys must keep matching).
func NewHasher(salt []byte) *Hasher {
	return &Hasher{salt: append([]byte(nil), salt...), buf: make([]byte, 0, 256)}
}

// User is the key of an authenticated user id (docs/design.md#audience-definitions, rule 3).
func (h *Hasher) User(uid []byte) Key { return h.sum('u', uid, nil) }

// Anonymous is the key of an unauthenticated visitor: the pair (client IP,
// user agent).
func (h *Hasher) Anonymous(ip, userAgent []byte) Key { return h.sum('a', ip, userAgent) }

func (h *Hasher) sum(kind byte, a, b []byte) Key {
	buf := append(h.buf[:0], h.salt...)
	buf = append(buf, kind)
	buf = append(buf, a...)
	buf = append(buf, 0)
	buf = append(buf, b...)
	h.buf = buf[:0]
	sum := sha256.Sum256(buf)
	var k Key
	copy(k[:], sum[:])
	return k
}
