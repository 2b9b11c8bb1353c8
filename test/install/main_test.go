// Package install installs the bundled chart with the real Helm 3 and Helm 4
// binaries into a real kube-apiserver, in namespaces that enforce the
// "restricted" Pod Security level.
package install

import (
	"fmt"
	"os"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// apiServer is shared by every test of the package; starting one takes a
// few seconds.
var apiServer *testenv.APIServer

func TestMain(m *testing.M) {
	server, err := testenv.StartAPIServer()
	if err != nil {
		// Without the pinned tools, Tool skips each test (or fails it under
		// CI) with the command that builds them.
		fmt.Fprintln(os.Stderr, "install tests: no API server:", err)
	}
	apiServer = server
	code := m.Run()
	if server != nil {
		server.Stop()
	}
	os.Exit(code)
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
