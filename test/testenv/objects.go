package testenv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"
)

// CreateRestrictedNamespace creates a namespace that enforces, warns and
// audits at the "restricted" Pod Security level, with the default service
// account that pods need (no controller creates it here).
func (s *APIServer) CreateRestrictedNamespace(t testing.TB, name string) {
	t.Helper()
	labels := map[string]string{}
	for _, mode := range []string{"enforce", "warn", "audit"} {
		labels["pod-security.kubernetes.io/"+mode] = "restricted"
		labels["pod-security.kubernetes.io/"+mode+"-version"] = "latest"
	}
	s.Create(t, "/api/v1/namespaces", map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": name, "labels": labels},
	})
	s.Create(t, "/api/v1/namespaces/"+name+"/serviceaccounts", map[string]any{
		"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "default"},
	})
}

// Create posts object to path and fails the test unless it was created.
func (s *APIServer) Create(t testing.TB, path string, object any) {
	t.Helper()
	body, err := json.Marshal(object)
	if err != nil {
		t.Fatal(err)
	}
	status, response, err := s.Do(http.MethodPost, path, body)
	if err != nil || status != http.StatusCreated {
		t.Fatalf("POST %s: status %d, error %v: %s", path, status, err, response)
	}
}

// Get returns the object at path decoded from JSON, or nil when it does
// not exist.
func (s *APIServer) Get(t testing.TB, path string) map[string]any {
	t.Helper()
	status, body, err := s.Do(http.MethodGet, path, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if status == http.StatusNotFound {
		return nil
	}
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, status, body)
	}
	var object map[string]any
	if err := json.Unmarshal(body, &object); err != nil {
		t.Fatal(err)
	}
	return object
}

// AdmitPodTemplate submits a workload's pod template as a Pod with
// dryRun=All, so Pod Security admission enforces the namespace's level on
// exactly what a controller would create. It returns the API server's
// rejection, if any.
func (s *APIServer) AdmitPodTemplate(t testing.TB, namespace string, workload map[string]any) error {
	t.Helper()
	template, ok := Dig(workload, "spec", "template").(map[string]any)
	if !ok {
		t.Fatalf("workload %v has no pod template", Dig(workload, "metadata", "name"))
	}
	metadata := map[string]any{}
	if labels, ok := Dig(template, "metadata", "labels").(map[string]any); ok {
		metadata["labels"] = labels
	}
	if annotations, ok := Dig(template, "metadata", "annotations").(map[string]any); ok {
		metadata["annotations"] = annotations
	}
	metadata["name"] = fmt.Sprint(Dig(workload, "metadata", "name")) + "-admission-check"
	pod := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"]}
	body, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}

	status, response, err := s.Do(http.MethodPost, "/api/v1/namespaces/"+namespace+"/pods?dryRun=All", body)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusCreated {
		return fmt.Errorf("status %d: %s", status, response)
	}
	return nil
}

// Dig walks nested maps decoded from JSON or YAML; it returns nil when a
// key is missing.
func Dig(object map[string]any, keys ...string) any {
	var current any = object
	for _, key := range keys {
		m, ok := current.(map[string]any)
		if !ok {
			return nil
		}
		current = m[key]
	}
	return current
}

// RunWithAPIServer starts the shared API server of a test package, runs
// its tests and stops the server. Without the pinned tools the server is
// nil, and testenv.Tool skips each test, or fails it under CI, with the
// command that builds them.
func RunWithAPIServer(m *testing.M, server **APIServer, name string) int {
	started, err := StartAPIServer()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: no API server: %v\n", name, err)
	}
	*server = started
	code := m.Run()
	if started != nil {
		started.Stop()
	}
	return code
}

// RequireAPIServer returns a package's shared API server. When the pinned
// tools are missing it skips the test, or fails it under CI, as Tool does;
// when they exist but the server did not start it fails the test.
func RequireAPIServer(t testing.TB, server *APIServer) *APIServer {
	t.Helper()
	Tool(t, "etcd")
	Tool(t, "kube-apiserver")
	if server == nil {
		t.Fatal("the API server did not start; see the message above the test output")
	}
	return server
}
