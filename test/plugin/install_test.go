package plugin

import (
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

func TestPluginInstallUpgrade(t *testing.T) {
	server := testenv.RequireAPIServer(t, apiServer)
	tests := []struct {
		name          string
		useKubeconfig func(h *helmEnv) []string // returns helm arguments
	}{
		{"kubeconfig flag", func(*helmEnv) []string { return []string{"--kubeconfig", server.Kubeconfig} }},
		{"KUBECONFIG variable", func(h *helmEnv) []string { h.setenv("KUBECONFIG", server.Kubeconfig); return nil }},
	}
	for _, helmName := range testenv.HelmVersions {
		for _, tt := range tests {
			t.Run(helmName+"/"+tt.name, func(t *testing.T) {
				vault, vaultURL := startFakeVault(t, testDocument)
				namespace := createNamespace(t, server, helmName, tt.name)
				h := newHelmEnv(t, helmName, vaultURL)
				kube := append([]string{"-n", namespace}, tt.useKubeconfig(h)...)

				h.mustPlugin(t, append([]string{"install", releaseName, chartDir()}, kube...)...)

				values := releaseValues(t, h, kube)
				assertCredentialValues(t, values, testRelayID, testPublicKey, testSecretKey)
				if got := clusterSecretValue(t, server, namespace, "sentry-relay-secret", "id"); got != testRelayID {
					t.Errorf("after install, Secret sentry-relay-secret id = %q, want %q", got, testRelayID)
				}

				next, err := credentials.Generate(rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				document, err := credentials.MarshalDocument(next)
				if err != nil {
					t.Fatal(err)
				}
				vault.Put(objectName, string(document))

				res := h.mustPlugin(t, append([]string{"upgrade", releaseName, chartDir()}, kube...)...)

				if strings.Contains(res.stdout+res.stderr, next.SecretKey.Reveal()) {
					t.Error("upgrade output contains the new secret key")
				}
				values = releaseValues(t, h, kube)
				assertCredentialValues(t, values, next.ID, next.PublicKey, next.SecretKey.Reveal())
				if got := clusterSecretValue(t, server, namespace, "sentry-relay-secret", "id"); got != next.ID {
					t.Errorf("after upgrade, Secret sentry-relay-secret id = %q, want %q", got, next.ID)
				}
				if got := releaseRevision(t, h, kube); got != 2 {
					t.Errorf("release revision after upgrade = %d, want 2", got)
				}
			})
		}
	}
}

func TestPluginKubeContext(t *testing.T) {
	server := testenv.RequireAPIServer(t, apiServer)
	_, vaultURL := startFakeVault(t, testDocument)
	for _, helmName := range testenv.HelmVersions {
		t.Run(helmName, func(t *testing.T) {
			namespace := createNamespace(t, server, helmName, "kube-context")
			h := newHelmEnv(t, helmName, vaultURL)
			kubeconfig := writeTwoContextKubeconfig(t, server)
			install := []string{"install", releaseName, chartDir(), "-n", namespace, "--kubeconfig", kubeconfig}

			res := h.plugin(t, install...)
			if res.code == 0 {
				t.Fatal("install on the current context, a closed port, succeeded; the test cannot tell whether --kube-context is used")
			}

			h.mustPlugin(t, append(install, "--kube-context", "good")...)

			values := releaseValues(t, h, []string{"-n", namespace, "--kubeconfig", kubeconfig, "--kube-context", "good"})
			assertCredentialValues(t, values, testRelayID, testPublicKey, testSecretKey)
		})
	}
}

func TestPluginMissingCredentials(t *testing.T) {
	server := testenv.RequireAPIServer(t, apiServer)
	_, vaultURL := startFakeVault(t, "")
	for _, helmName := range testenv.HelmVersions {
		t.Run(helmName, func(t *testing.T) {
			namespace := createNamespace(t, server, helmName, "missing")
			h := newHelmEnv(t, helmName, vaultURL)
			kube := []string{"-n", namespace, "--kubeconfig", server.Kubeconfig}
			install := append([]string{"install", releaseName, chartDir()}, kube...)

			res := h.plugin(t, install...)

			if res.code == 0 {
				t.Error("install without credentials exited 0, want non-zero")
			}
			for _, want := range []string{"credentials not available", "--allow-missing"} {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, redact(res.stderr))
				}
			}
			if releases := listObjects(t, server, releaseSecretsPath(namespace)); len(releases) != 0 {
				t.Errorf("failed install stored %d release revisions, want 0", len(releases))
			}
			if deployments := listObjects(t, server, deploymentsPath(namespace)); len(deployments) != 0 {
				t.Errorf("failed install created %d deployments, want 0", len(deployments))
			}

			h.mustPlugin(t, append(install, "--allow-missing")...)

			if releases := listObjects(t, server, releaseSecretsPath(namespace)); len(releases) != 1 {
				t.Errorf("install --allow-missing stored %d release revisions, want 1", len(releases))
			}
			deployments := listObjects(t, server, deploymentsPath(namespace))
			if len(deployments) != 1 {
				t.Fatalf("install --allow-missing created %d deployments, want 1", len(deployments))
			}
			initContainers := containerNames(dig(deployments[0], "spec", "template", "spec", "initContainers"))
			if len(initContainers) != 1 || initContainers[0] != "fetch-credentials" {
				t.Errorf("init containers = %v, want [fetch-credentials]", initContainers)
			}
			if got := dig(releaseValues(t, h, kube), "relay", "credentials"); got != nil {
				t.Error("release values set relay.credentials, want no overlay")
			}
		})
	}
}

// releaseValues returns `helm get values` of the release as plain helm
// reports it: the values the user supplied, overlay included.
func releaseValues(t *testing.T, h *helmEnv, kube []string) map[string]any {
	t.Helper()
	output := h.helm(t, append([]string{"get", "values", releaseName, "-o", "json"}, kube...)...)
	var values map[string]any
	if err := json.Unmarshal([]byte(output), &values); err != nil {
		t.Fatalf("helm get values output is not a JSON object: %v", err)
	}
	return values
}

// assertCredentialValues checks the overlay's keys in release values,
// without showing the secret key.
func assertCredentialValues(t *testing.T, values map[string]any, id, publicKey, secretKey string) {
	t.Helper()
	if got := dig(values, "relay", "credentials", "id"); got != id {
		t.Errorf("relay.credentials.id = %v, want %s", got, id)
	}
	if got := dig(values, "relay", "credentials", "publicKey"); got != publicKey {
		t.Errorf("relay.credentials.publicKey = %v, want %s", got, publicKey)
	}
	if dig(values, "relay", "credentials", "secretKey") != secretKey {
		t.Error("relay.credentials.secretKey is not the secret key in the vault")
	}
	if got := dig(values, "relay", "vault", "enabled"); got != false {
		t.Errorf("relay.vault.enabled = %v, want false", got)
	}
}

// releaseRevision returns the release's current revision from helm status.
func releaseRevision(t *testing.T, h *helmEnv, kube []string) int {
	t.Helper()
	output := h.helm(t, append([]string{"status", releaseName, "-o", "json"}, kube...)...)
	var status struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal([]byte(output), &status); err != nil {
		t.Fatalf("helm status output is not JSON: %v", err)
	}
	return status.Version
}
