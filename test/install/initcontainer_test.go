package install

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/helm-vault-relay/helm-vault-relay/internal/workos/fake"
	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

const (
	testAPIKey  = "sk_test_INSTALL_LEAKCHECK_key_24680"
	testSecret  = "OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU"
	testDoc     = `{"public_key":"JOaR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU","secret_key":"` + testSecret + `","id":"5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21"}`
	relayUID    = 65532
	initName    = "fetch-credentials"
	relayObject = "runlayer-sentry-credentials"
)

// TestInitContainerAsRendered runs the real vault-relay binary with exactly
// the command, arguments and environment the chart gives the init
// container, against the fake vault, and checks the files Relay will read.
func TestInitContainerAsRendered(t *testing.T) {
	helm := newHelmRunner(t, testenv.Tool(t, "helm4"), "")
	binary := buildVaultRelay(t)
	vault := fake.New(testAPIKey)
	vault.Put(relayObject, testDoc)
	baseURL, shutdown, err := vault.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shutdown(context.Background()) }()

	tests := []struct {
		name      string
		set       []string
		wantFiles []string
		wantModes []os.FileMode
		wantMode  string
	}{
		{"credentials available", nil, []string{"config.yml", "credentials.json"}, []os.FileMode{0o444, 0o400}, "mode: managed"},
		{"object missing", []string{"relay.vault.vaultSecretName=missing"}, []string{"config.yml"}, []os.FileMode{0o444}, "mode: proxy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"template", releaseName, chartDir(), "-f", goldenCases(t)["vault-on"], "--set", "relay.vault.apiBase=" + baseURL}
			for _, s := range tt.set {
				args = append(args, "--set", s)
			}
			pod := renderedPodSpec(t, helm.template(t, args...))
			init := findContainer(t, pod["initContainers"], initName)
			configDir := emptyDirMount(t, pod, init)

			out := privateDir(t)
			env := initContainerEnv(t, init, configDir, out)
			res := runAsRelayUser(t, binary, stringList(init["args"]), env, out)

			if res.code != 0 {
				t.Fatalf("init container exit code = %d; stderr:\n%s", res.code, res.stderr)
			}
			if strings.Contains(res.stderr, testSecret) || strings.Contains(res.stderr, testAPIKey) {
				t.Error("init container log contains a secret")
			}
			assertDirectory(t, out, tt.wantFiles, tt.wantModes)
			config, err := os.ReadFile(filepath.Join(out, "config.yml"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(config), tt.wantMode) {
				t.Errorf("config.yml lacks %q:\n%s", tt.wantMode, config)
			}

			relay := findContainer(t, pod["containers"], "relay")
			if got := strings.Join(stringList(relay["args"]), " "); got != "run --config "+configDir {
				t.Errorf("relay args = %q, want run --config %s", got, configDir)
			}
		})
	}
}

// template runs `helm template` and returns the manifests.
func (h helmRunner) template(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(h.binary, args...)
	cmd.Env = h.env
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, exitErr.Stderr)
		}
		t.Fatal(err)
	}
	return string(out)
}

func buildVaultRelay(t *testing.T) string {
	t.Helper()
	dir := privateDir(t)
	binary := filepath.Join(dir, "vault-relay")
	cmd := exec.Command("go", "build", "-trimpath", "-o", binary, "./cmd/vault-relay")
	cmd.Dir = testenv.RepoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build vault-relay: %v\n%s", err, out)
	}
	return binary
}

// privateDir returns a directory the relay user can use: t.TempDir's parent
// is private to the user running the tests.
func privateDir(t *testing.T) string {
	t.Helper()
	parent, err := os.MkdirTemp("", "init-container-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "dir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		if err := os.Chown(dir, relayUID, relayUID); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// renderedPodSpec returns the pod spec of the only Deployment in manifests.
func renderedPodSpec(t *testing.T, manifests string) map[string]any {
	t.Helper()
	decoder := yaml.NewDecoder(strings.NewReader(manifests))
	for {
		var doc map[string]any
		err := decoder.Decode(&doc)
		if err != nil {
			t.Fatalf("no Deployment in the rendered chart: %v", err)
		}
		if doc["kind"] == "Deployment" {
			return testenv.Dig(doc, "spec", "template", "spec").(map[string]any)
		}
	}
}

func findContainer(t *testing.T, containers any, name string) map[string]any {
	t.Helper()
	list, _ := containers.([]any)
	for _, c := range list {
		if container, ok := c.(map[string]any); ok && container["name"] == name {
			return container
		}
	}
	t.Fatalf("no container %q in %v", name, containers)
	return nil
}

// emptyDirMount returns where the init container mounts the in-memory
// config volume, checking that the volume is a Memory emptyDir.
func emptyDirMount(t *testing.T, pod, container map[string]any) string {
	t.Helper()
	for _, m := range container["volumeMounts"].([]any) {
		mount := m.(map[string]any)
		for _, v := range pod["volumes"].([]any) {
			volume := v.(map[string]any)
			if volume["name"] != mount["name"] {
				continue
			}
			if testenv.Dig(volume, "emptyDir", "medium") != "Memory" {
				t.Errorf("volume %v is not an in-memory emptyDir", volume["name"])
			}
			return mount["mountPath"].(string)
		}
	}
	t.Fatal("the init container mounts no volume")
	return ""
}

// initContainerEnv turns the rendered env into a process environment: the
// API key Secret reference becomes the test key, and the config directory
// moves from the volume's mount path to out.
func initContainerEnv(t *testing.T, container map[string]any, configDir, out string) []string {
	t.Helper()
	var env []string
	for _, e := range container["env"].([]any) {
		entry := e.(map[string]any)
		name := entry["name"].(string)
		switch {
		case entry["valueFrom"] != nil:
			if name != "WORKOS_API_KEY" {
				t.Fatalf("unexpected Secret reference in env %s", name)
			}
			env = append(env, name+"="+testAPIKey)
		case name == "RELAY_CONFIG_DIR":
			if entry["value"] != configDir {
				t.Errorf("RELAY_CONFIG_DIR = %v, but the volume is mounted at %s", entry["value"], configDir)
			}
			env = append(env, name+"="+out)
		default:
			env = append(env, name+"="+entry["value"].(string))
		}
	}
	return env
}

func stringList(value any) []string {
	var list []string
	for _, item := range value.([]any) {
		list = append(list, item.(string))
	}
	return list
}

// processResult is one finished process.
type processResult struct {
	code   int
	stderr string
}

// runAsRelayUser runs binary as uid 65532 when the tests run as root, as
// the pod's securityContext does.
func runAsRelayUser(t *testing.T, binary string, args, env []string, dir string) processResult {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	cmd.Dir = dir
	if os.Getuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: relayUID, Gid: relayUID}}
	} else {
		t.Logf("running as uid %d: switching to uid %d needs root", os.Getuid(), relayUID)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	code := 0
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			t.Fatal(err)
		}
		code = exitErr.ExitCode()
	}
	return processResult{code: code, stderr: stderr.String()}
}

func assertDirectory(t *testing.T, dir string, wantFiles []string, wantModes []os.FileMode) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if !slices.Equal(names, wantFiles) {
		t.Fatalf("files = %v, want %v", names, wantFiles)
	}
	for i, name := range names {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != wantModes[i] {
			t.Errorf("%s mode = %o, want %o", name, info.Mode().Perm(), wantModes[i])
		}
		if os.Getuid() == 0 && info.Sys().(*syscall.Stat_t).Uid != relayUID {
			t.Errorf("%s owner = %d, want %d", name, info.Sys().(*syscall.Stat_t).Uid, relayUID)
		}
	}
}
