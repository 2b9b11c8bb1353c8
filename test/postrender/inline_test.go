package postrender

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/internal/workos/fake"
	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// Names of what inline mode adds.
const (
	credentialsSecret   = "sentry-relay-credentials"
	generatedAnnotation = "vault-relay.helm.sh/generated"
	checksumAnnotation  = "vault-relay.helm.sh/credentials-checksum"
	versionAnnotation   = "vault-relay.helm.sh/object-version"
)

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// TestInlineMode installs relay-app with post-render in inline mode, which
// reads the fake vault while helm renders: the release then holds a Secret
// with the credentials, and Relay's environment points at it.
//
// The wrapper does not pass WORKOS_API_KEY on to helm, so through the
// wrapper the post-renderer gets the key from --api-key-file.
func TestInlineMode(t *testing.T) {
	server := testenv.RequireAPIServer(t, apiServer)
	c := testCharts()[0]

	for _, helmName := range testenv.HelmVersions {
		for _, way := range ways {
			t.Run(helmName+"/"+way, func(t *testing.T) {
				vault := fake.New(testAPIKey)
				object := vault.Put(objectName, testDocument)
				if object.Metadata.VersionID == "" {
					t.Fatal("the fake vault stored the object without a version id")
				}
				baseURL, shutdown, err := vault.Listen("127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = shutdown(context.Background()) }()

				namespace := "inline-" + helmName + "-" + way
				server.CreateRestrictedNamespace(t, namespace)
				stop := completeJobs(t, server, namespace)
				defer stop()
				h := newHelmEnv(t, helmName, way, server.Kubeconfig)
				h.setenv("WORKOS_API_BASE=" + baseURL)
				extra := []string{"--mode=inline"}
				if way == wrapper {
					extra = append(extra, "--api-key-file="+writeKeyFile(t))
				} else {
					h.setenv("WORKOS_API_KEY=" + testAPIKey)
				}
				args := append([]string{releaseName, c.dir, "-n", namespace, "--timeout", helmTimeout}, c.args...)

				res := h.mustRun(t, h.withPostRenderer("install", args, extra...)...)
				assertNoLeak(t, res)
				assertNoPodSecurityWarning(t, res)
				secret := mustGetObject(t, server, apiPath(t, namespace, "Secret/"+credentialsSecret))
				assertCredentialsSecret(t, secret)
				relay := mustGetObject(t, server, apiPath(t, namespace, c.relay))
				assertInlineMode(t, relay, object.Metadata.VersionID)
				if err := server.AdmitPodTemplate(t, namespace, relay); err != nil {
					t.Errorf("Pod Security admission rejects the patched pod template: %v", err)
				}
				for _, key := range c.others {
					assertNotInline(t, key, mustGetObject(t, server, apiPath(t, namespace, key)))
				}

				res = h.mustRun(t, h.withPostRenderer("upgrade", args, extra...)...)
				assertNoLeak(t, res)
				assertUnchangedWorkload(t, c.relay, mustGetObject(t, server, apiPath(t, namespace, c.relay)), relay)
				assertCredentialsSecret(t, mustGetObject(t, server, apiPath(t, namespace, "Secret/"+credentialsSecret)))

				h.mustRun(t, "uninstall", releaseName, "-n", namespace)
				if server.Get(t, apiPath(t, namespace, "Secret/"+credentialsSecret)) != nil {
					t.Errorf("Secret %s still exists after uninstall", credentialsSecret)
				}
			})
		}
	}
}

// writeKeyFile writes the test API key to a file only the user can read.
func writeKeyFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "workos-api-key")
	if err := os.WriteFile(path, []byte(testAPIKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// assertNoLeak fails the test when helm's output contains the API key or
// the secret key, without showing either.
func assertNoLeak(t *testing.T, res result) {
	t.Helper()
	for _, secret := range []struct{ name, value string }{{"API key", testAPIKey}, {"secret key", testSecretKey}} {
		if strings.Contains(res.stdout, secret.value) {
			t.Errorf("helm's stdout contains the %s", secret.name)
		}
		if strings.Contains(res.stderr, secret.value) {
			t.Errorf("helm's stderr contains the %s", secret.name)
		}
	}
}

// assertCredentialsSecret checks the Secret inline mode adds: the
// credentials of the test document, in the release, with Helm 4's filename
// annotation stripped.
func assertCredentialsSecret(t *testing.T, secret map[string]any) {
	t.Helper()
	want := map[string]string{"id": testRelayID, "public_key": testPublicKey, "secret_key": testSecretKey}
	for key, value := range want {
		encoded, _ := dig(secret, "data", key).(string)
		decoded, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil || string(decoded) != value {
			t.Errorf("Secret %s: data.%s does not hold the vault's %s", credentialsSecret, key, key)
		}
	}
	annotations, _ := dig(secret, "metadata", "annotations").(map[string]any)
	if annotations[generatedAnnotation] != "true" {
		t.Errorf("Secret %s: annotation %s = %v, want true", credentialsSecret, generatedAnnotation, annotations[generatedAnnotation])
	}
	if got := annotations["meta.helm.sh/release-name"]; got != releaseName {
		t.Errorf("Secret %s: annotation meta.helm.sh/release-name = %v, want %s: the Secret is not part of the release", credentialsSecret, got, releaseName)
	}
	if _, ok := annotations[helmFilenameAnnotation]; ok {
		t.Errorf("Secret %s keeps Helm 4's annotation %s", credentialsSecret, helmFilenameAnnotation)
	}
}

// assertInlineMode checks Relay's container for the three Secret
// references and the pod template for the checksum and version
// annotations, and that inline mode added no init container.
func assertInlineMode(t *testing.T, workload map[string]any, versionID string) {
	t.Helper()
	spec := podSpec(workload)
	relay := findNamed(spec["containers"], relayContainer)
	if relay == nil {
		t.Fatalf("%s has no container %s", objectKey(workload), relayContainer)
	}
	for name, key := range map[string]string{"RELAY_ID": "id", "RELAY_PUBLIC_KEY": "public_key", "RELAY_SECRET_KEY": "secret_key"} {
		env := findNamed(relay["env"], name)
		ref, _ := dig(env, "valueFrom", "secretKeyRef").(map[string]any)
		if ref["name"] != credentialsSecret || ref["key"] != key {
			t.Errorf("relay env %s = %v, want secretKeyRef %s/%s", name, env, credentialsSecret, key)
		}
	}
	if init := findNamed(spec["initContainers"], initContainerName); init != nil {
		t.Errorf("inline mode added the init container %s", initContainerName)
	}

	annotations, _ := dig(workload, "spec", "template", "metadata", "annotations").(map[string]any)
	if checksum, _ := annotations[checksumAnnotation].(string); !sha256Hex.MatchString(checksum) {
		t.Errorf("pod template annotation %s = %q, want a SHA-256 in hex", checksumAnnotation, checksum)
	}
	if annotations[versionAnnotation] != versionID {
		t.Errorf("pod template annotation %s = %v, want the object's version %s", versionAnnotation, annotations[versionAnnotation], versionID)
	}
}

// assertNotInline checks that a workload other than Relay's got no Secret
// reference.
func assertNotInline(t *testing.T, key string, workload map[string]any) {
	t.Helper()
	containers, _ := podSpec(workload)["containers"].([]any)
	for _, c := range containers {
		container, _ := c.(map[string]any)
		if env := findNamed(container["env"], "RELAY_SECRET_KEY"); env != nil {
			t.Errorf("%s container %v has RELAY_SECRET_KEY", key, container["name"])
		}
	}
}
