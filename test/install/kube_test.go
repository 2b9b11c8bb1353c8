package install

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// createRestrictedNamespace creates a namespace that enforces, warns and
// audits at the "restricted" Pod Security level, with the default service
// account that pods need (no controller creates it here).
func createRestrictedNamespace(t *testing.T, server *testenv.APIServer, name string) {
	t.Helper()
	labels := map[string]string{}
	for _, mode := range []string{"enforce", "warn", "audit"} {
		labels["pod-security.kubernetes.io/"+mode] = "restricted"
		labels["pod-security.kubernetes.io/"+mode+"-version"] = "latest"
	}
	mustCreate(t, server, "/api/v1/namespaces", map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": name, "labels": labels},
	})
	mustCreate(t, server, "/api/v1/namespaces/"+name+"/serviceaccounts", map[string]any{
		"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "default"},
	})
}

func mustCreate(t *testing.T, server *testenv.APIServer, path string, object any) {
	t.Helper()
	body, err := json.Marshal(object)
	if err != nil {
		t.Fatal(err)
	}
	status, response, err := server.Do(http.MethodPost, path, body)
	if err != nil || status != http.StatusCreated {
		t.Fatalf("POST %s: status %d, error %v: %s", path, status, err, response)
	}
}

// getObject returns an object as a generic map, or nil when it does not
// exist.
func getObject(t *testing.T, server *testenv.APIServer, path string) map[string]any {
	t.Helper()
	status, body, err := server.Do(http.MethodGet, path, nil)
	if err != nil {
		t.Fatal(err)
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

// admitPodTemplate submits the Deployment's pod template as a Pod with
// dryRun=All, so Pod Security admission enforces the namespace's level on
// exactly what a ReplicaSet controller would create. It returns the API
// server's rejection, if any.
func admitPodTemplate(t *testing.T, server *testenv.APIServer, namespace string, deployment map[string]any) error {
	t.Helper()
	template := dig(deployment, "spec", "template").(map[string]any)
	metadata, _ := template["metadata"].(map[string]any)
	if metadata == nil {
		metadata = map[string]any{}
	}
	metadata["name"] = fmt.Sprint(dig(deployment, "metadata", "name")) + "-admission-check"
	pod := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"]}
	body, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}

	status, response, err := server.Do(http.MethodPost, "/api/v1/namespaces/"+namespace+"/pods?dryRun=All", body)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusCreated {
		return fmt.Errorf("status %d: %s", status, response)
	}
	return nil
}

// dig walks nested maps; it returns nil when a key is missing.
func dig(object map[string]any, keys ...string) any {
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

// TestAdmissionRejectsUnrestrictedPod shows that the namespaces the install
// tests use really enforce the restricted level: a pod template without a
// security context is rejected.
func TestAdmissionRejectsUnrestrictedPod(t *testing.T) {
	server := requireAPIServer(t)
	createRestrictedNamespace(t, server, "admission-check")
	deployment := map[string]any{
		"metadata": map[string]any{"name": "plain"},
		"spec": map[string]any{"template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"app": "plain"}},
			"spec": map[string]any{"containers": []any{
				map[string]any{"name": "main", "image": "registry.invalid/plain:1"},
			}},
		}},
	}

	err := admitPodTemplate(t, server, "admission-check", deployment)
	if err == nil || !strings.Contains(err.Error(), "violates PodSecurity") {
		t.Errorf("admission of a pod without a security context: %v, want a PodSecurity rejection", err)
	}
}
