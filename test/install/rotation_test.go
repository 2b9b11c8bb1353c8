package install

import (
	"bytes"
	"context"
	"crypto/rand"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
	"github.com/helm-vault-relay/helm-vault-relay/internal/workos/fake"
	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// TestRotationRollsPods installs the bundled chart with
// `vault-relay install`, rotates the credentials in the vault, runs
// `vault-relay upgrade`, and checks that the Deployment's pod template
// changed, which is what makes Kubernetes roll the pods. It covers the
// overlay (credentials in the release) and --keep-vault (the init
// container fetches in the pod).
func TestRotationRollsPods(t *testing.T) {
	server := testenv.RequireAPIServer(t, apiServer)
	binary := buildVaultRelay(t)
	vault := fake.New(testAPIKey)
	if _, err := vault.PutGenerated(relayObject); err != nil {
		t.Fatal(err)
	}
	baseURL, shutdown, err := vault.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shutdown(context.Background()) }()

	modes := []struct {
		name  string
		extra []string
	}{
		{"overlay", nil},
		{"keep-vault", []string{"--keep-vault", "--set", "backend.secrets.AUTH_API_KEY=sk_test_in_cluster_key_0000"}},
	}
	for _, helmName := range testenv.HelmVersions {
		helmBinary := testenv.Tool(t, helmName)
		for _, mode := range modes {
			t.Run(helmName+"/"+mode.name, func(t *testing.T) {
				namespace := "rotation-" + helmName + "-" + mode.name
				server.CreateRestrictedNamespace(t, namespace)
				run := func(subcommand string) {
					t.Helper()
					args := append([]string{subcommand, releaseName, chartDir(), "-n", namespace, "--kubeconfig", server.Kubeconfig}, mode.extra...)
					cmd := exec.Command(binary, args...)
					home := t.TempDir()
					cmd.Env = []string{
						"PATH=/usr/bin:/bin", "HOME=" + home, "HELM_BIN=" + helmBinary,
						"HELM_CACHE_HOME=" + filepath.Join(home, "cache"), "HELM_CONFIG_HOME=" + filepath.Join(home, "config"), "HELM_DATA_HOME=" + filepath.Join(home, "data"),
						"WORKOS_API_KEY=" + testAPIKey, "WORKOS_API_BASE=" + baseURL,
					}
					var output bytes.Buffer
					cmd.Stdout, cmd.Stderr = &output, &output
					if err := cmd.Run(); err != nil {
						t.Fatalf("vault-relay %s with %s: %v\n%s", subcommand, helmName, err, output.String())
					}
					if strings.Contains(output.String(), testSecret) {
						t.Errorf("vault-relay %s printed a secret", subcommand)
					}
				}

				run("install")
				before := podTemplateAnnotations(t, findDeployment(t, server, namespace))
				object, _ := vault.Get(relayObject)
				rotated, err := credentials.Generate(rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				document, _ := credentials.MarshalDocument(rotated)
				vault.Put(relayObject, string(document))
				rotatedObject, _ := vault.Get(relayObject)
				run("upgrade")
				after := podTemplateAnnotations(t, findDeployment(t, server, namespace))

				if before["vault-relay.helm.sh/object-version"] != object.Metadata.VersionID {
					t.Errorf("before rotation the pod template's object version = %q, want %q", before["vault-relay.helm.sh/object-version"], object.Metadata.VersionID)
				}
				if after["vault-relay.helm.sh/object-version"] != rotatedObject.Metadata.VersionID {
					t.Errorf("after rotation the pod template's object version = %q, want %q", after["vault-relay.helm.sh/object-version"], rotatedObject.Metadata.VersionID)
				}
				if before["checksum/config"] == after["checksum/config"] && mode.name == "overlay" {
					t.Error("the overlay's new credentials did not change checksum/config")
				}
			})
		}
	}
}

func podTemplateAnnotations(t *testing.T, deployment map[string]any) map[string]string {
	t.Helper()
	annotations := map[string]string{}
	raw, _ := testenv.Dig(deployment, "spec", "template", "metadata", "annotations").(map[string]any)
	for k, v := range raw {
		annotations[k], _ = v.(string)
	}
	return annotations
}
