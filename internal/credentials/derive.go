package credentials

import (
	"crypto/sha512"

	"filippo.io/edwards25519"
)

// derivePublicKey computes the Ed25519 public key of a 32-byte seed as
// RFC 8032 section 5.1.5 defines it. It gives the same result as
// crypto/ed25519.NewKeyFromSeed, but multiplies with the variable-base
// method: crypto/ed25519 first builds a fixed-base table, which costs
// 1.5 to 2 ms on the first call of a process. fetch runs once per process at
// every relay pod start, so that table would be a large share of its run time.
func derivePublicKey(seed []byte) []byte {
	digest := sha512.Sum512(seed)
	scalar, err := new(edwards25519.Scalar).SetBytesWithClamping(digest[:32])
	if err != nil {
		// SetBytesWithClamping fails only for input that is not 32 bytes.
		panic("credentials: derive public key: " + err.Error())
	}
	return new(edwards25519.Point).ScalarMult(scalar, edwards25519.NewGeneratorPoint()).Bytes()
}
