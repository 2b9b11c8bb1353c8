package credentials

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"testing"
)

func TestDerivePublicKeyMatchesStandardLibrary(t *testing.T) {
	seed, _ := base64.RawURLEncoding.DecodeString(vectorSecret)
	want, _ := base64.RawURLEncoding.DecodeString(vectorPublic)
	if got := derivePublicKey(seed); !bytes.Equal(got, want) {
		t.Errorf("derivePublicKey(relay test vector) = %x, want %x", got, want)
	}

	for range 200 {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			t.Fatal(err)
		}
		want := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
		if got := derivePublicKey(seed); !bytes.Equal(got, want) {
			t.Fatalf("derivePublicKey(%x) = %x, crypto/ed25519 gives %x", seed, got, want)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	doc := []byte(`{"public_key":"` + vectorPublic + `","secret_key":"` + vectorSecret + `","id":"` + vectorID + `","sentry_dsn":"` + vectorDSN + `"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}
