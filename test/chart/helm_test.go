package chart

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"sigs.k8s.io/yaml"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// runHelm runs a pinned helm binary with its cache, config and data homes in
// a temporary directory, so that the user's repositories, plugins and
// registry logins neither affect the test nor change. Every other HELM_*
// variable of the test process is dropped for the same reason. KUBECONFIG
// points to a file that does not exist, because lint and template need no
// cluster.
func runHelm(t *testing.T, helm string, args ...string) (stdout, stderr []byte, err error) {
	t.Helper()
	home := t.TempDir()
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "HELM_") })
	cmd := exec.Command(helm, args...)
	cmd.Env = append(env,
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"KUBECONFIG="+filepath.Join(home, "no-kubeconfig"),
		"HELM_DEBUG=false",
	)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.Bytes(), errOut.Bytes(), err
}

// TestHelmLintStrict runs `helm lint --strict` for every ci/ case with Helm 3
// and Helm 4.
func TestHelmLintStrict(t *testing.T) {
	for _, version := range testenv.HelmVersions {
		t.Run(version, func(t *testing.T) {
			helm := testenv.Tool(t, version)
			for _, name := range caseNames(t) {
				t.Run(name, func(t *testing.T) {
					stdout, stderr, err := runHelm(t, helm, "lint", "--strict", chartDir(), "-f", caseValuesPath(name))
					if err != nil {
						t.Errorf("%s lint --strict -f ci/%s%s: %v\nstdout:\n%s\nstderr:\n%s", version, name, caseValuesSuffix, err, stdout, stderr)
					}
				})
			}
		})
	}
}

// TestHelmRejects makes sure the runs above can fail: each binary must
// reject a misspelt key in lint, and fail `helm template` with the chart's
// own message. Lint cannot show that message, because Helm's lint mode turns
// the template function fail into a log line.
func TestHelmRejects(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "lint misspelt key",
			args: []string{"lint", "--strict", chartDir(), "--set", "relay.vault.vaultSecretNme=x"},
			want: "vaultSecretNme",
		},
		{
			name: "template vault off without credentials",
			args: []string{"template", releaseName, chartDir(), "--namespace", releaseNamespace, "--set", "relay.vault.enabled=false"},
			want: "relay.vault.enabled is false, so Relay needs its credentials from the chart",
		},
	}
	for _, version := range testenv.HelmVersions {
		t.Run(version, func(t *testing.T) {
			helm := testenv.Tool(t, version)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					stdout, stderr, err := runHelm(t, helm, tt.args...)
					if err == nil {
						t.Fatalf("%s %v succeeded; want a failure\n%s", version, tt.args, stdout)
					}
					if combined := string(stdout) + string(stderr); !strings.Contains(combined, tt.want) {
						t.Errorf("%s output lacks %q:\n%s", version, tt.want, combined)
					}
				})
			}
		})
	}
}

// TestHelmTemplateMatchesSDK runs `helm template` with each binary and checks
// that it renders the same objects as the SDK render behind the golden files.
// Formatting may differ between Helm 3 and Helm 4, so only kinds and names are
// compared.
func TestHelmTemplateMatchesSDK(t *testing.T) {
	for _, version := range testenv.HelmVersions {
		t.Run(version, func(t *testing.T) {
			helm := testenv.Tool(t, version)
			for _, name := range caseNames(t) {
				t.Run(name, func(t *testing.T) {
					stdout, stderr, err := runHelm(t, helm, "template", releaseName, chartDir(),
						"--namespace", releaseNamespace, "-f", caseValuesPath(name))
					if err != nil {
						t.Fatalf("%s template: %v\nstderr:\n%s", version, err, stderr)
					}

					got := streamObjectIDs(t, stdout)
					want := renderCase(t, name).objectIDs()
					slices.Sort(got)
					slices.Sort(want)
					if !slices.Equal(got, want) {
						t.Errorf("%s template rendered %v, the SDK %v", version, got, want)
					}
				})
			}
		})
	}
}

// streamObjectIDs returns "Kind/name" of every document in a manifest
// stream, in no particular order.
func streamObjectIDs(t *testing.T, stream []byte) []string {
	t.Helper()
	var ids []string
	for _, doc := range releaseutil.SplitManifests(string(stream)) {
		var head releaseutil.SimpleHead
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("parse helm template output: %v\n%s", err, doc)
		}
		if head.Kind == "" {
			continue // a document holding only comments
		}
		ids = append(ids, objectID(&head))
	}
	return ids
}
