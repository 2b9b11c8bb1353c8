package install

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// releaseName is the same in every namespace.
const releaseName = "relay"

// helmRunner runs one real Helm binary against the test API server, with
// its own cache, config and data directories so the user's Helm setup is
// neither read nor changed.
type helmRunner struct {
	binary     string
	kubeconfig string
	env        []string
}

func newHelmRunner(t *testing.T, binary, kubeconfig string) helmRunner {
	t.Helper()
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"HELM_CACHE_HOME=" + filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
		"HELM_DATA_HOME=" + filepath.Join(home, "data"),
	}
	return helmRunner{binary: binary, kubeconfig: kubeconfig, env: env}
}

// run runs helm with args and fails the test on a non-zero exit. It returns
// stdout and stderr together, which is where Helm prints API warnings.
func (h helmRunner) run(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(h.binary, append(args, "--kubeconfig", h.kubeconfig)...)
	cmd.Env = h.env
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(h.binary), strings.Join(args, " "), err, output.String())
	}
	t.Logf("%s %s: %s", filepath.Base(h.binary), args[0], time.Since(start).Round(time.Millisecond))
	return output.String()
}

func chartDir() string { return filepath.Join(testenv.RepoRoot(), "charts", "sentry-relay") }

// goldenCases returns the chart's ci/<case>-values.yaml files by case name.
func goldenCases(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir(), "ci", "*-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no charts/sentry-relay/ci/*-values.yaml cases found")
	}
	cases := map[string]string{}
	for _, f := range files {
		cases[strings.TrimSuffix(filepath.Base(f), "-values.yaml")] = f
	}
	return cases
}

func TestInstallUpgradeUninstall(t *testing.T) {
	server := testenv.RequireAPIServer(t, apiServer)
	cases := goldenCases(t)

	for _, helmName := range testenv.HelmVersions {
		helmBinary := testenv.Tool(t, helmName)
		for caseName, valuesFile := range cases {
			t.Run(helmName+"/"+caseName, func(t *testing.T) {
				namespace := helmName + "-" + caseName
				server.CreateRestrictedNamespace(t, namespace)
				helm := newHelmRunner(t, helmBinary, server.Kubeconfig)

				output := helm.run(t, "install", releaseName, chartDir(), "-n", namespace, "-f", valuesFile)
				assertNoPodSecurityWarning(t, "install", output)
				deployment := findDeployment(t, server, namespace)
				if err := server.AdmitPodTemplate(t, namespace, deployment); err != nil {
					t.Errorf("Pod Security admission rejects the pod template: %v", err)
				}
				if got := testenv.Dig(deployment, "spec", "template", "metadata", "labels", "app.kubernetes.io/component"); got != "sentry-relay" {
					t.Errorf("pod template component label = %v, want sentry-relay", got)
				}

				output = helm.run(t, "upgrade", releaseName, chartDir(), "-n", namespace, "-f", valuesFile,
					"--set", "relay.podAnnotations.upgraded=yes")
				assertNoPodSecurityWarning(t, "upgrade", output)
				deployment = findDeployment(t, server, namespace)
				if got := testenv.Dig(deployment, "spec", "template", "metadata", "annotations", "upgraded"); got != "yes" {
					t.Errorf("after upgrade the pod template annotation upgraded = %v, want yes", got)
				}
				assertRevision(t, helm, namespace, 2)

				helm.run(t, "uninstall", releaseName, "-n", namespace)
				name := testenv.Dig(deployment, "metadata", "name").(string)
				if server.Get(t, "/apis/apps/v1/namespaces/"+namespace+"/deployments/"+name) != nil {
					t.Errorf("deployment %s still exists after uninstall", name)
				}
			})
		}
	}
}

func assertNoPodSecurityWarning(t *testing.T, step, output string) {
	t.Helper()
	if strings.Contains(output, "violate PodSecurity") {
		t.Errorf("%s printed a Pod Security warning:\n%s", step, output)
	}
}

// findDeployment returns the release's only Deployment.
func findDeployment(t *testing.T, server *testenv.APIServer, namespace string) map[string]any {
	t.Helper()
	status, body, err := server.Do(http.MethodGet,
		"/apis/apps/v1/namespaces/"+namespace+"/deployments?labelSelector=app.kubernetes.io%2Finstance%3D"+releaseName, nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("list deployments: status %d, error %v: %s", status, err, body)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Fatalf("release has %d deployments, want 1", len(list.Items))
	}
	return list.Items[0]
}

func assertRevision(t *testing.T, helm helmRunner, namespace string, want int) {
	t.Helper()
	output := helm.run(t, "status", releaseName, "-n", namespace, "-o", "json")
	var status struct {
		Version int `json:"version"`
		Info    struct {
			Status string `json:"status"`
		} `json:"info"`
	}
	if err := json.Unmarshal([]byte(output[strings.Index(output, "{"):]), &status); err != nil {
		t.Fatalf("helm status output is not JSON: %v\n%s", err, output)
	}
	if status.Version != want || status.Info.Status != "deployed" {
		t.Errorf("release revision %d status %q, want %d deployed", status.Version, status.Info.Status, want)
	}
}
