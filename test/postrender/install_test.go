package postrender

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// TestInstallUpgradeUninstall installs each chart with the post-renderer
// into a namespace that enforces Pod Security "restricted", checks what the
// API server stored, upgrades with the post-renderer again and uninstalls.
func TestInstallUpgradeUninstall(t *testing.T) {
	server := testenv.RequireAPIServer(t, apiServer)

	for _, helmName := range testenv.HelmVersions {
		for _, way := range ways {
			for _, c := range testCharts() {
				t.Run(helmName+"/"+way+"/"+c.name, func(t *testing.T) {
					namespace := helmName + "-" + way + "-" + c.name
					server.CreateRestrictedNamespace(t, namespace)
					stop := completeJobs(t, server, namespace)
					defer stop()
					h := newHelmEnv(t, helmName, way, server.Kubeconfig)
					args := append([]string{releaseName, c.dir, "-n", namespace, "--timeout", helmTimeout}, c.args...)

					res := h.mustRun(t, h.withPostRenderer("install", args)...)
					assertNoPodSecurityWarning(t, res)
					relay := mustGetObject(t, server, apiPath(t, namespace, c.relay))
					assertInitContainerMode(t, relay)
					if err := server.AdmitPodTemplate(t, namespace, relay); err != nil {
						t.Errorf("Pod Security admission rejects the patched pod template: %v", err)
					}
					for _, key := range c.others {
						assertNotPatched(t, key, mustGetObject(t, server, apiPath(t, namespace, key)))
					}

					res = h.mustRun(t, h.withPostRenderer("upgrade", args)...)
					assertNoPodSecurityWarning(t, res)
					upgraded := mustGetObject(t, server, apiPath(t, namespace, c.relay))
					assertUnchangedWorkload(t, c.relay, upgraded, relay)
					assertRevision(t, h, namespace, 2)

					h.mustRun(t, "uninstall", releaseName, "-n", namespace)
					if server.Get(t, apiPath(t, namespace, c.relay)) != nil {
						t.Errorf("%s still exists after uninstall", c.relay)
					}
				})
			}
		}
	}
}

// assertNoPodSecurityWarning checks helm's output for the warning the API
// server sends when a workload's pod template violates the namespace's
// "warn" level.
func assertNoPodSecurityWarning(t *testing.T, res result) {
	t.Helper()
	if strings.Contains(res.stdout+res.stderr, "violate PodSecurity") {
		t.Errorf("%s printed a Pod Security warning:\n%s%s", strings.Join(res.args, " "), res.stdout, res.stderr)
	}
}

// assertNotPatched checks that a workload other than Relay's has nothing
// that init-container mode adds.
func assertNotPatched(t *testing.T, key string, workload map[string]any) {
	t.Helper()
	spec := podSpec(workload)
	if spec == nil {
		t.Fatalf("%s has no pod template", key)
	}
	if init := findNamed(spec["initContainers"], initContainerName); init != nil {
		t.Errorf("%s has the init container %s", key, initContainerName)
	}
	if volume := findNamed(spec["volumes"], configVolumeName); volume != nil {
		t.Errorf("%s has the volume %s", key, configVolumeName)
	}
	containers, _ := spec["containers"].([]any)
	for _, c := range containers {
		container, _ := c.(map[string]any)
		if args := stringList(container["args"]); strings.Contains(strings.Join(args, " "), configDir) {
			t.Errorf("%s container %v has args %q", key, container["name"], args)
		}
	}
}

// assertUnchangedWorkload checks that an upgrade left a workload's pod
// template as it was: the API server raises metadata.generation on every
// change of the spec, and a changed template would roll the pods.
func assertUnchangedWorkload(t *testing.T, key string, after, before map[string]any) {
	t.Helper()
	if got, want := dig(after, "metadata", "generation"), dig(before, "metadata", "generation"); got != want {
		t.Errorf("%s generation after upgrade = %v, want %v as after install", key, got, want)
	}
	if got, want := dig(after, "spec", "template"), dig(before, "spec", "template"); !reflect.DeepEqual(got, want) {
		gotJSON, _ := json.MarshalIndent(got, "", "  ")
		wantJSON, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("%s pod template changed on upgrade\nafter:\n%s\nbefore:\n%s", key, gotJSON, wantJSON)
	}
}

// assertRevision checks the release's revision and that it is deployed.
func assertRevision(t *testing.T, h *helmEnv, namespace string, want int) {
	t.Helper()
	res := h.mustRun(t, "status", releaseName, "-n", namespace, "-o", "json")
	var status struct {
		Version int `json:"version"`
		Info    struct {
			Status string `json:"status"`
		} `json:"info"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &status); err != nil {
		t.Fatalf("helm status printed no JSON: %v\n%s", err, res.stdout)
	}
	if status.Version != want || status.Info.Status != "deployed" {
		t.Errorf("release revision %d status %q, want %d deployed", status.Version, status.Info.Status, want)
	}
}
