// Package install installs the bundled chart with the real Helm 3 and Helm 4
// binaries into a real kube-apiserver, in namespaces that enforce the
// "restricted" Pod Security level.
package install

import (
	"os"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// apiServer is shared by every test of the package; starting one takes a
// few seconds.
var apiServer *testenv.APIServer

func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithAPIServer(m, &apiServer, "install tests"))
}

// requireAPIServer returns the shared API server, or skips or fails the
// test as testenv.Tool does when the tools are missing.
func requireAPIServer(t *testing.T) *testenv.APIServer {
	t.Helper()
	testenv.Tool(t, "etcd")
	testenv.Tool(t, "kube-apiserver")
	if apiServer == nil {
		t.Fatal("the API server did not start; see the message above the test output")
	}
	return apiServer
}
