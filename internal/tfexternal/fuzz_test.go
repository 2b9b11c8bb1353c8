package tfexternal

import (
	"errors"
	"testing"
)

func FuzzParseQuery(f *testing.F) {
	for _, seed := range []string{`{}`, `{"api_key":"sk_test_1"}`, `{"api_base":null}`, `[]`, `{"x":1}`, `"s"`, ``} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := ParseQuery(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidQuery) {
				t.Fatalf("error %v does not wrap ErrInvalidQuery", err)
			}
			if q != (Query{}) {
				t.Fatal("failed ParseQuery returned values")
			}
		}
	})
}
