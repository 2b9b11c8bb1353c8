// Package plugin runs vault-relay as a Helm plugin through the real Helm 3
// and Helm 4 binaries: installed with `helm plugin install` from this
// repository, reading the fake WorkOS Vault, and installing into a real
// kube-apiserver, all on loopback.
package plugin

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/internal/workos/fake"
	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// The fixed test credentials. The rendered output of the golden files
// depends on them, and every plugin output and process command line is
// checked for the API key, the secret key and the DSN.
const (
	testAPIKey    = "sk_test_PLUGIN_LEAKCHECK_key_13579"
	testPublicKey = "JOaR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU"
	testSecretKey = "OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU"
	testRelayID   = "5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21"
	testDSN       = "https://0123456789abcdef0123456789abcdef@o1.ingest.example.test/42"
	testDocument  = `{"public_key":"` + testPublicKey + `","secret_key":"` + testSecretKey +
		`","id":"` + testRelayID + `","sentry_dsn":"` + testDSN + `"}`
)

// objectName is the Vault object the plugin reads by default.
const objectName = "runlayer-sentry-credentials"

// releaseName is the same in every namespace.
const releaseName = "relay"

// apiServer is shared by every test of the package; starting one takes a
// few seconds.
var apiServer *testenv.APIServer

// pluginRoot contains one Helm home per Helm version with the plugin
// installed; see pluginsDir.
var pluginRoot string

func TestMain(m *testing.M) {
	root, err := os.MkdirTemp("", "vault-relay-plugin-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "plugin tests:", err)
		os.Exit(1)
	}
	pluginRoot = root

	code := testenv.RunWithAPIServer(m, &apiServer, "plugin tests")
	_ = os.RemoveAll(root)
	os.Exit(code)
}

func chartDir() string { return filepath.Join(testenv.RepoRoot(), "charts", "sentry-relay") }

// startFakeVault serves the fake WorkOS Vault on 127.0.0.1 until the test
// ends and returns it with its base URL. It stores document under
// objectName unless document is "".
func startFakeVault(t *testing.T, document string) (*fake.Server, string) {
	t.Helper()
	vault := fake.New(testAPIKey)
	if document != "" {
		vault.Put(objectName, document)
	}
	baseURL, shutdown, err := vault.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })
	return vault, baseURL
}

// testSecrets names the values no plugin output and no command line may
// contain.
var testSecrets = []struct{ name, value string }{
	{"API key", testAPIKey},
	{"secret key", testSecretKey},
	{"DSN", testDSN},
}

// assertNoLeak fails the test when text contains a test secret, naming the
// secret but never showing it.
func assertNoLeak(t *testing.T, where, text string) {
	t.Helper()
	for _, secret := range testSecrets {
		if strings.Contains(text, secret.value) {
			t.Errorf("%s contains the %s", where, secret.name)
		}
	}
}

// redact replaces the test secrets, plain and base64-encoded as a rendered
// Secret contains them, so that process output can go into a failure message.
func redact(text string) string {
	for _, secret := range testSecrets {
		marker := "[" + secret.name + "]"
		text = strings.ReplaceAll(text, secret.value, marker)
		text = strings.ReplaceAll(text, base64.StdEncoding.EncodeToString([]byte(secret.value)), marker+" in base64")
	}
	return text
}
