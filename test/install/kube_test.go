package install

import (
	"strings"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// TestAdmissionRejectsUnrestrictedPod shows that the namespaces the install
// tests use really enforce the restricted level: a pod template without a
// security context is rejected.
func TestAdmissionRejectsUnrestrictedPod(t *testing.T) {
	server := testenv.RequireAPIServer(t, apiServer)
	server.CreateRestrictedNamespace(t, "admission-check")
	deployment := map[string]any{
		"metadata": map[string]any{"name": "plain"},
		"spec": map[string]any{"template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"app": "plain"}},
			"spec": map[string]any{"containers": []any{
				map[string]any{"name": "main", "image": "registry.invalid/plain:1"},
			}},
		}},
	}

	err := server.AdmitPodTemplate(t, "admission-check", deployment)
	if err == nil || !strings.Contains(err.Error(), "violates PodSecurity") {
		t.Errorf("admission of a pod without a security context: %v, want a PodSecurity rejection", err)
	}
}
