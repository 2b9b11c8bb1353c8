package testenv

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestAPIServerStarts(t *testing.T) {
	Tool(t, "kube-apiserver")
	Tool(t, "etcd")
	server, err := StartAPIServer()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Stop()

	status, body, err := server.Do(http.MethodGet, "/api/v1/namespaces/default", nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET namespace default: status %d, error %v, body %s", status, err, body)
	}
	config, err := os.ReadFile(server.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(config), server.URL) {
		t.Errorf("kubeconfig does not point at %s", server.URL)
	}
}
