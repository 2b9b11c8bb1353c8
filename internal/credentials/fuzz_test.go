package credentials

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"public_key":"` + vectorPublic + `","secret_key":"` + vectorSecret + `","id":"` + vectorID + `"}`))
	f.Add([]byte(`{"public_key":"` + vectorPublic + `","secret_key":"` + vectorSecret + `","id":"` + vectorID + `","sentry_dsn":"` + vectorDSN + `"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"id":null}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		creds, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			if secret := creds.SecretKey.Reveal(); secret != "" {
				t.Fatal("failed Parse returned a secret key")
			}
			return
		}
		if err := creds.Validate(); err != nil {
			t.Fatalf("Parse accepted a document that Validate rejects: %v", err)
		}
		if strings.Contains(creds.SecretKey.String(), creds.SecretKey.Reveal()) {
			t.Fatal("String() shows the secret key")
		}
	})
}
