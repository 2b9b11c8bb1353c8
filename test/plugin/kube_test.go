package plugin

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// namespaceCount numbers the namespaces, so that repeated runs of a test
// in one process (go test -count=2) get new ones from the shared API server.
var namespaceCount atomic.Int64

// createNamespace creates a namespace on the test API server and returns
// its name, made from parts and a number.
func createNamespace(t *testing.T, server *testenv.APIServer, parts ...string) string {
	t.Helper()
	parts = append(parts, strconv.FormatInt(namespaceCount.Add(1), 10))
	name := strings.ToLower(strings.Join(parts, "-"))
	name = strings.NewReplacer(" ", "-", "/", "-", "_", "-").Replace(name)
	body, err := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": name},
	})
	if err != nil {
		t.Fatal(err)
	}
	status, response, err := server.Do(http.MethodPost, "/api/v1/namespaces", body)
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create namespace %s: status %d, error %v: %s", name, status, err, response)
	}
	return name
}

// listObjects returns the items of a list request, such as every Deployment
// of a namespace.
func listObjects(t *testing.T, server *testenv.APIServer, path string) []map[string]any {
	t.Helper()
	status, body, err := server.Do(http.MethodGet, path, nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET %s: status %d, error %v", path, status, err)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return list.Items
}

// deploymentsPath lists the Deployments of a namespace.
func deploymentsPath(namespace string) string {
	return "/apis/apps/v1/namespaces/" + namespace + "/deployments"
}

// releaseSecretsPath lists the Secrets in which Helm 3 and Helm 4 store
// the revisions of the releases of a namespace, with their default storage
// driver.
func releaseSecretsPath(namespace string) string {
	return "/api/v1/namespaces/" + namespace + "/secrets?labelSelector=owner%3Dhelm"
}

// clusterSecretValue returns one decoded key of a Secret stored in the API
// server.
func clusterSecretValue(t *testing.T, server *testenv.APIServer, namespace, name, key string) string {
	t.Helper()
	path := "/api/v1/namespaces/" + namespace + "/secrets/" + name
	status, body, err := server.Do(http.MethodGet, path, nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET %s: status %d, error %v", path, status, err)
	}
	var secret struct {
		Data map[string][]byte `json:"data"`
	}
	if err := json.Unmarshal(body, &secret); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	value, ok := secret.Data[key]
	if !ok {
		t.Fatalf("Secret %s/%s has no key %s", namespace, name, key)
	}
	return string(value)
}

// writeTwoContextKubeconfig writes a kubeconfig whose current context
// points at a closed loopback port and whose context "good" points at the
// test API server, with the server kubeconfig's user.
func writeTwoContextKubeconfig(t *testing.T, server *testenv.APIServer) string {
	t.Helper()
	data, err := os.ReadFile(server.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	var config map[string]any
	if err := yaml.Unmarshal(data, &config); err != nil {
		t.Fatalf("parse %s: %v", server.Kubeconfig, err)
	}
	contexts, _ := config["contexts"].([]any)
	if len(contexts) != 1 {
		t.Fatalf("%s has %d contexts, want 1", server.Kubeconfig, len(contexts))
	}
	working := dig(contexts[0].(map[string]any), "context").(map[string]any)

	clusters, _ := config["clusters"].([]any)
	config["clusters"] = append(clusters, map[string]any{
		"name":    "closed-port",
		"cluster": map[string]any{"server": "https://127.0.0.1:" + strconv.Itoa(closedPort(t)), "insecure-skip-tls-verify": true},
	})
	config["contexts"] = []any{
		map[string]any{"name": "unreachable", "context": map[string]any{"cluster": "closed-port", "user": working["user"]}},
		map[string]any{"name": "good", "context": working},
	}
	config["current-context"] = "unreachable"

	out, err := yaml.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// closedPort returns a loopback port that was free a moment ago. Another
// process could bind it in between; the tests assume that none does.
func closedPort(t *testing.T) int {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	if err := listener.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}
