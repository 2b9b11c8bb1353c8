package workos

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"os"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// NewHTTPClient returns the HTTP client the vault client uses by default. It
// takes proxies from HTTPS_PROXY, HTTP_PROXY and NO_PROXY, and for an https
// base it trusts the system roots, the CA roots built into the binary, and
// any extra bundle named by SSL_CERT_FILE. The built-in roots let an image
// that holds nothing but the binary reach the API.
func NewHTTPClient(base *url.URL) (*http.Client, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = http.ProxyFromEnvironment

	if base.Scheme == "https" {
		roots, err := rootCAs()
		if err != nil {
			return nil, err
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: transport}, nil
}

// rootCAs merges the built-in roots into the system pool. Go reads
// SSL_CERT_FILE in place of the system bundle, so the merge is what makes a
// bundle named there an addition rather than a replacement.
func rootCAs() (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if err := addBuiltInRoots(pool); err != nil {
		return nil, err
	}

	if file := os.Getenv("SSL_CERT_FILE"); file != "" {
		pem, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read CA bundle from SSL_CERT_FILE: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read CA bundle from SSL_CERT_FILE %q: no PEM certificates found", file)
		}
	}
	return pool, nil
}

// addBuiltInRoots adds the Mozilla root set compiled into the binary by
// golang.org/x/crypto/x509roots/fallback/bundle.
func addBuiltInRoots(pool *x509.CertPool) error {
	for root := range bundle.Roots() {
		cert, err := x509.ParseCertificate(root.Certificate)
		if err != nil {
			return fmt.Errorf("parse built-in CA root: %w", err)
		}
		if root.Constraint == nil {
			pool.AddCert(cert)
		} else {
			pool.AddCertWithConstraint(cert, root.Constraint)
		}
	}
	return nil
}
