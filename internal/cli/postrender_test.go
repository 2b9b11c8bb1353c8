//go:build !initonly

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const relayDeployment = `---
# Source: demo/templates/relay.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: relay
spec:
  template:
    metadata:
      labels:
        app.kubernetes.io/component: sentry-relay
    spec:
      containers:
      - name: relay
        image: ghcr.io/getsentry/relay:25.10.0
---
# Source: demo/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: other
data:
  a: "1"
`

func TestPostRenderInitContainer(t *testing.T) {
	state := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": state, "WORKOS_VAULT_SECRET_NAME": "relay-prod"}

	res := runCommand(t, env, relayDeployment, "post-render", "--api-key-secret", "workos", "--init-memory", "48Mi")

	if res.code != ExitOK {
		t.Fatalf("exit code = %d; stderr:\n%s", res.code, res.stderr)
	}
	for _, want := range []string{"name: fetch-credentials", "value: relay-prod", "name: workos", "memory: 48Mi", "- --config", "a: \"1\"\n"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
	again := runCommand(t, env, res.stdout, "post-render", "--api-key-secret", "workos", "--init-memory", "48Mi")
	if again.stdout != res.stdout {
		t.Errorf("post-render of its own output changed it:\n%s", again.stdout)
	}
	if _, err := os.Stat(filepath.Join(state, "vault-relay", "post-render-last-error")); !os.IsNotExist(err) {
		t.Error("a success left a last-error file behind")
	}
}

func TestPostRenderIgnoresWorkstationAPIBase(t *testing.T) {
	env := map[string]string{"XDG_STATE_HOME": t.TempDir(), "WORKOS_API_BASE": "http://127.0.0.1:9999"}

	res := runCommand(t, env, relayDeployment, "post-render")

	if res.code != ExitOK {
		t.Fatalf("exit code = %d; stderr:\n%s", res.code, res.stderr)
	}
	if strings.Contains(res.stdout, "127.0.0.1:9999") || !strings.Contains(res.stdout, "value: https://api.workos.com") {
		t.Error("the pod got the workstation's WORKOS_API_BASE instead of --api-base's default")
	}

	res = runCommand(t, env, relayDeployment, "post-render", "--api-base", "http://localhost:8080")
	if !strings.Contains(res.stderr, "loopback address") {
		t.Errorf("no warning for a loopback API base in the pod:\n%s", res.stderr)
	}
}

func TestPostRenderInline(t *testing.T) {
	_, baseURL := startVault(t)
	env := map[string]string{"WORKOS_API_KEY": testAPIKey, "WORKOS_API_BASE": baseURL, "XDG_STATE_HOME": t.TempDir()}

	res := runCommand(t, env, relayDeployment, "post-render", "--mode", "inline")

	if res.code != ExitOK {
		t.Fatalf("exit code = %d; stderr:\n%s", res.code, res.stderr)
	}
	for _, want := range []string{"kind: Secret", "name: RELAY_SECRET_KEY", "vault-relay.helm.sh/credentials-checksum", "vault-relay.helm.sh/object-version"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !strings.Contains(res.stderr, "stored in a Secret in the Helm release") {
		t.Errorf("stderr does not warn that the release stores the Secret:\n%s", res.stderr)
	}
	assertNoLeak(t, "stderr", res.stderr)
	assertNoLeak(t, "stdout (the secret belongs base64-encoded in the Secret only)", res.stdout)
}

func TestPostRenderFailures(t *testing.T) {
	server, baseURL := startVault(t)
	server.Delete(objectName)
	tests := []struct {
		name     string
		env      map[string]string
		stdin    string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"nothing selected", nil, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", nil, ExitFailure, "no workload selected: looked for"},
		{"bad yaml", nil, relayDeployment + "---\n# Source: demo/templates/bad.yaml\nkind: Deployment\nmetadata: [\n", nil, ExitFailure, "document 3 (demo/templates/bad.yaml), line"},
		{"bad mode", nil, relayDeployment, []string{"--mode", "sidecar"}, ExitUsage, `invalid --mode "sidecar"`},
		{"bad selector", nil, relayDeployment, []string{"--selector", "a in (b)"}, ExitUsage, "set-based selectors"},
		{"bad upstream", nil, relayDeployment, []string{"--upstream", "sentry.io"}, ExitUsage, "invalid relay upstream"},
		{"bad init timeout", nil, relayDeployment, []string{"--init-timeout", "abc"}, ExitUsage, `invalid --init-timeout "abc"`},
		{"bad init memory", nil, relayDeployment, []string{"--init-memory", "lots"}, ExitUsage, `invalid --init-memory "lots"`},
		{"bad init jitter", nil, relayDeployment, []string{"--init-start-jitter", "-1s"}, ExitUsage, `invalid --init-start-jitter "-1s"`},
		{"inline without key", nil, relayDeployment, []string{"--mode", "inline"}, ExitFailure, "WORKOS_API_KEY not found"},
		{"inline object missing", map[string]string{"WORKOS_API_KEY": testAPIKey}, relayDeployment, []string{"--mode", "inline"}, ExitFailure, "credentials not available (object not found)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := t.TempDir()
			env := map[string]string{"WORKOS_API_BASE": baseURL, "XDG_STATE_HOME": state}
			for k, v := range tt.env {
				env[k] = v
			}

			res := runCommand(t, env, tt.stdin, append([]string{"post-render"}, tt.args...)...)

			if res.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", res.code, tt.wantCode)
			}
			if res.stdout != "" {
				t.Errorf("stdout = %q, want nothing on failure", res.stdout)
			}
			if !strings.Contains(res.stderr, tt.wantErr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantErr, res.stderr)
			}
			recorded, err := os.ReadFile(filepath.Join(state, "vault-relay", "post-render-last-error"))
			if err != nil || !strings.Contains(string(recorded), tt.wantErr) {
				t.Errorf("last-error file = %q, %v; want the failure recorded", recorded, err)
			}
			last := runCommand(t, env, "", "post-render", "--last-error")
			if !strings.Contains(last.stdout, tt.wantErr) {
				t.Errorf("--last-error printed %q, want the failure", last.stdout)
			}
		})
	}
}
