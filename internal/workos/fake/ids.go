package fake

import (
	"bytes"
	"crypto/rand"
	"sync"
	"time"
)

// crockfordAlphabet is the Crockford base32 alphabet that ULIDs use: digits
// and upper-case letters without I, L, O and U.
const crockfordAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// idGenerator creates ULID-like identifiers: 26 Crockford base32 characters
// that encode a 48-bit millisecond timestamp followed by 80 random bits. Each
// identifier sorts after the one before it, even within one millisecond, so
// sorting object ids sorts objects by creation, and an id stays usable as a
// list cursor after its object is deleted.
type idGenerator struct {
	mu   sync.Mutex
	last [16]byte
}

// next returns a new identifier for the time now.
func (g *idGenerator) next(now time.Time) string {
	var id [16]byte
	millis := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		id[i] = byte(millis)
		millis >>= 8
	}
	// crypto/rand.Read never returns an error since Go 1.24: it crashes the
	// program instead.
	_, _ = rand.Read(id[6:])

	g.mu.Lock()
	defer g.mu.Unlock()
	if bytes.Compare(id[:], g.last[:]) <= 0 {
		id = increment(g.last)
	}
	g.last = id
	return encodeCrockford(id)
}

// increment adds one to a 128-bit big-endian number.
func increment(n [16]byte) [16]byte {
	for i := len(n) - 1; i >= 0; i-- {
		n[i]++
		if n[i] != 0 {
			break
		}
	}
	return n
}

// encodeCrockford encodes 128 bits as 26 characters of 5 bits each, most
// significant first. The first character carries only the top 3 bits.
func encodeCrockford(n [16]byte) string {
	var hi, lo uint64
	for i := range 8 {
		hi = hi<<8 | uint64(n[i])
		lo = lo<<8 | uint64(n[8+i])
	}

	out := make([]byte, 26)
	for i := range out {
		shift := uint(5 * (len(out) - 1 - i))
		out[i] = crockfordAlphabet[shiftRight128(hi, lo, shift)&31]
	}
	return string(out)
}

// shiftRight128 returns the low 64 bits of the 128-bit value hi:lo shifted
// right by shift bits.
func shiftRight128(hi, lo uint64, shift uint) uint64 {
	switch {
	case shift == 0:
		return lo
	case shift >= 64:
		return hi >> (shift - 64)
	default:
		return lo>>shift | hi<<(64-shift)
	}
}
