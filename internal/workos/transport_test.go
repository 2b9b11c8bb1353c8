package workos

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestTLSTrustsExtraBundle(t *testing.T) {
	server := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(objectJSON))
	}))
	defer server.Close()

	bundle := filepath.Join(t.TempDir(), "ca.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: server.Certificate().Raw})
	if err := os.WriteFile(bundle, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		certFile string
		wantErr  bool
	}{
		{"untrusted without bundle", "", true},
		{"trusted with SSL_CERT_FILE", bundle, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SSL_CERT_FILE", tt.certFile)
			client, err := NewClient(Config{BaseURL: server.URL, APIKey: testKey, Retry: RetryPolicy{MaxAttempts: 1}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = client.ReadObjectByName(context.Background(), "obj")
			if tt.wantErr && !errors.Is(err, ErrTransport) {
				t.Errorf("error = %v, want a TLS transport error", err)
			}
			if !tt.wantErr && err != nil {
				t.Errorf("error = %v, want success", err)
			}
		})
	}
}

func TestRootCAsRejectsMissingBundle(t *testing.T) {
	t.Setenv("SSL_CERT_FILE", filepath.Join(t.TempDir(), "missing.pem"))
	if _, err := rootCAs(); err == nil {
		t.Error("rootCAs() with a missing SSL_CERT_FILE: error = nil, want an error naming it")
	}
}

func TestBuiltInRoots(t *testing.T) {
	pool := x509.NewCertPool()
	if err := addBuiltInRoots(pool); err != nil {
		t.Fatal(err)
	}
	// The pool of an image with no system roots: it must hold a full public
	// root set, not a handful.
	if n := len(pool.Subjects()); n < 100 { //nolint:staticcheck // Subjects is only counted here.
		t.Errorf("built-in pool has %d roots, want over 100", n)
	}
}
