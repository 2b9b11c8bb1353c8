// Package postrender runs `vault-relay post-render` as the post-renderer of
// the real Helm 3 and Helm 4 binaries, both directly (helm's own
// --post-renderer flag) and through `helm vault-relay ... --post-render`,
// and installs the results into a real kube-apiserver on loopback.
package postrender

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// The fixed test credentials of inline mode. Every helm output is checked
// for the API key and the secret key.
const (
	testAPIKey    = "sk_test_POSTRENDER_LEAKCHECK_key_97531"
	testPublicKey = "JOaR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU"
	testSecretKey = "OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU"
	testRelayID   = "5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21"
	testDocument  = `{"public_key":"` + testPublicKey + `","secret_key":"` + testSecretKey + `","id":"` + testRelayID + `"}`
)

// objectName is the Vault object post-render reads by default.
const objectName = "runlayer-sentry-credentials"

// releaseName is the same in every namespace.
const releaseName = "relay"

// apiServer is shared by every test of the package; starting one takes a
// few seconds.
var apiServer *testenv.APIServer

// workRoot contains the built binary, the post-renderer plugin tree and one
// plugin installation per Helm version; TestMain removes it.
var workRoot string

func TestMain(m *testing.M) {
	root, err := os.MkdirTemp("", "vault-relay-postrender-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "post-render tests:", err)
		os.Exit(1)
	}
	workRoot = root

	code := testenv.RunWithAPIServer(m, &apiServer, "post-render tests")
	_ = os.RemoveAll(root)
	os.Exit(code)
}

// chart is a chart the tests render, with the values that make its Relay
// workload one that post-render must patch.
type chart struct {
	name  string
	dir   string
	args  []string // values flags
	relay string   // Kind/name of the Relay workload for releaseName
	// others lists Kind/name of further workloads that must stay as the
	// chart renders them.
	others []string
	// hookJob is the name of a hook Job, or "" when the chart has none.
	hookJob string
}

// testCharts returns relay-app, a chart of this package that runs Relay
// beside a hook Job and a StatefulSet, and the bundled chart with its own
// vault support turned off, so that only post-render adds the init
// container.
func testCharts() []chart {
	return []chart{
		{
			name:    "relay-app",
			dir:     filepath.Join(testenv.RepoRoot(), "test", "postrender", "testdata", "charts", "relay-app"),
			relay:   "Deployment/relay-relay",
			others:  []string{"StatefulSet/relay-worker", "Job/relay-migrate"},
			hookJob: "relay-migrate",
		},
		{
			name: "sentry-relay",
			dir:  filepath.Join(testenv.RepoRoot(), "charts", "sentry-relay"),
			args: []string{
				"--set", "relay.vault.enabled=false",
				"--set", "relay.credentials.existingSecret=relay-creds",
			},
			relay: "Deployment/relay-sentry-relay",
		},
	}
}
