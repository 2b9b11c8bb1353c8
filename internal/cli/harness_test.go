package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/internal/workos"
	"github.com/helm-vault-relay/helm-vault-relay/internal/workos/fake"
)

// The known test secrets: the leak checks look for them in every output
// where they must not appear.
const (
	testAPIKey    = "sk_test_LEAKCHECK_apikey_0123456789"
	testSecretKey = "OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU"
	testPublicKey = "JOaR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU"
	testRelayID   = "5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21"
	testDSN       = "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/4505"
	objectName    = "runlayer-sentry-credentials"
)

var testDocument = `{"public_key":"` + testPublicKey + `","secret_key":"` + testSecretKey +
	`","id":"` + testRelayID + `","sentry_dsn":"` + testDSN + `"}`

// fastRetry keeps retry waits short, so deadline cases end in well under a
// second: Retry-After values are cut to 50ms.
var fastRetry = workos.RetryPolicy{BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxRetryAfter: 50 * time.Millisecond}

// startVault starts the fake vault on loopback with the test document
// stored under objectName.
func startVault(t *testing.T) (*fake.Server, string) {
	t.Helper()
	server := fake.New(testAPIKey)
	server.Put(objectName, testDocument)
	baseURL, shutdown, err := server.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })
	return server, baseURL
}

// result is what one in-process run of a command left behind.
type result struct {
	code   int
	stdout string
	stderr string
}

func runCommand(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	streams := IO{
		In:     strings.NewReader(stdin),
		Out:    &stdout,
		Err:    &stderr,
		Getenv: func(name string) string { return env[name] },
		Retry:  fastRetry,
	}
	code := Run(context.Background(), args, streams)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func assertFileList(t *testing.T, dir string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	sort.Strings(want)
	if got := listFiles(t, dir); !slices.Equal(got, want) {
		t.Errorf("files in output dir = %v, want %v", got, want)
	}
}

// assertNoLeak fails if any known secret appears in text.
func assertNoLeak(t *testing.T, where, text string) {
	t.Helper()
	for name, secret := range map[string]string{"API key": testAPIKey, "secret key": testSecretKey, "DSN": testDSN} {
		if strings.Contains(text, secret) {
			t.Errorf("%s contains the %s", where, name)
		}
	}
}

// assertDirNoLeak scans every file in dir except credentials.json.
func assertDirNoLeak(t *testing.T, dir string) {
	t.Helper()
	for _, name := range listFiles(t, dir) {
		if name == "credentials.json" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		assertNoLeak(t, name, string(data))
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// discardResponse is an http.ResponseWriter that drops everything, for
// requests a test sends to the fake only for their side effect.
type discardResponse struct{}

func (discardResponse) Header() http.Header         { return http.Header{} }
func (discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (discardResponse) WriteHeader(int)             {}

func mustRequest(t *testing.T, path string) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	return req
}
