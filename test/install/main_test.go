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
