package postrender

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// missingWorkload selects a workload the charts do not have.
const missingWorkload = "StatefulSet/does-not-exist"

// Messages of a post-render run that selected nothing.
const (
	nothingSelected = "no workload selected: looked for the workload " + missingWorkload
	// wrapperReport starts the line with which the wrapper shows the
	// post-renderer's recorded failure, because Helm 4 discards its stderr.
	wrapperReport = "vault-relay post-render failed: "
)

// TestNothingSelectedFails runs template and install with a --workload that
// matches nothing: helm fails, the user learns what was looked for, and
// install creates no release.
func TestNothingSelectedFails(t *testing.T) {
	server := testenv.RequireAPIServer(t, apiServer)
	c := testCharts()[0]

	for _, helmName := range testenv.HelmVersions {
		for _, way := range ways {
			t.Run(helmName+"/"+way, func(t *testing.T) {
				h := newHelmEnv(t, helmName, way, server.Kubeconfig)
				extra := "--workload=" + missingWorkload

				res := h.run(t, h.withPostRenderer("template", []string{releaseName, c.dir}, extra)...)
				if res.code == 0 {
					t.Fatalf("%s: exit code 0, want a failure", strings.Join(res.args, " "))
				}
				assertFailureShown(t, h, res)

				namespace := "nothing-" + helmName + "-" + way
				server.CreateRestrictedNamespace(t, namespace)
				stop := completeJobs(t, server, namespace)
				defer stop()
				args := []string{releaseName, c.dir, "-n", namespace, "--timeout", helmTimeout}
				// The template run recorded the same failure; without this
				// the install's check could read that record.
				if err := os.Remove(lastErrorFile(h)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					t.Fatal(err)
				}
				res = h.run(t, h.withPostRenderer("install", args, extra)...)
				if res.code == 0 {
					t.Fatalf("%s: exit code 0, want a failure", strings.Join(res.args, " "))
				}
				assertFailureShown(t, h, res)
				assertNoRelease(t, server, namespace)
				if server.Get(t, apiPath(t, namespace, c.relay)) != nil {
					t.Errorf("the failed install created %s", c.relay)
				}
			})
		}
	}
}

// assertFailureShown checks that the user can read why post-render failed.
// Helm 3 shows the post-renderer's stderr in its own. Helm 4 discards it, so
// the wrapper prints the recorded failure, and a user of plain Helm 4 runs
// `vault-relay post-render --last-error`.
func assertFailureShown(t *testing.T, h *helmEnv, res result) {
	t.Helper()
	switch {
	case h.name == "helm3":
		if !strings.Contains(res.stderr, nothingSelected) {
			t.Errorf("%s\nwant stderr to contain %q", res.describe(), nothingSelected)
		}
	case h.way == wrapper:
		if !strings.Contains(res.stderr, wrapperReport+nothingSelected) {
			t.Errorf("%s\nwant stderr to contain %q", res.describe(), wrapperReport+nothingSelected)
		}
	default:
		recorded, err := os.ReadFile(lastErrorFile(h))
		if err != nil {
			t.Fatalf("read the recorded post-render failure: %v", err)
		}
		if !strings.Contains(string(recorded), nothingSelected) {
			t.Errorf("recorded post-render failure = %q, want it to contain %q", recorded, nothingSelected)
		}
		if printed := lastError(t, h); !strings.Contains(printed, nothingSelected) {
			t.Errorf("vault-relay post-render --last-error printed %q, want it to contain %q", printed, nothingSelected)
		}
	}
}

// lastErrorFile is where post-render records its last failure in h's
// environment.
func lastErrorFile(h *helmEnv) string {
	return filepath.Join(h.state, "vault-relay", "post-render-last-error")
}

// lastErrorText returns the failure post-render recorded in h's
// environment, or "" when there is none.
func lastErrorText(h *helmEnv) string {
	data, _ := os.ReadFile(lastErrorFile(h))
	return string(data)
}

// lastError runs `vault-relay post-render --last-error` in h's environment.
func lastError(t *testing.T, h *helmEnv) string {
	t.Helper()
	cmd := exec.Command(h.tree.binary, "post-render", "--last-error")
	cmd.Env = h.env
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("vault-relay post-render --last-error: %v\n%s", err, output)
	}
	return string(output)
}

// assertNoRelease checks that namespace holds no release in any state: Helm
// stores each release revision as a Secret labelled owner=helm.
func assertNoRelease(t *testing.T, server *testenv.APIServer, namespace string) {
	t.Helper()
	for _, secret := range listItems(t, server, "/api/v1/namespaces/"+namespace+"/secrets?labelSelector=owner%3Dhelm") {
		t.Errorf("the failed install stored the release revision %v", dig(secret, "metadata", "name"))
	}
}

// TestWrapperReportsOnlyItsOwnFailure runs the wrapper on Helm 4 into a
// failure that happens before the post-renderer runs, after an earlier
// post-render failure: the wrapper must not show that earlier failure as
// the cause.
func TestWrapperReportsOnlyItsOwnFailure(t *testing.T) {
	h := newHelmEnv(t, "helm4", wrapper, "")
	c := testCharts()[0]

	res := h.run(t, h.withPostRenderer("template", []string{releaseName, c.dir}, "--workload="+missingWorkload)...)
	if res.code == 0 || !strings.Contains(res.stderr, wrapperReport) {
		t.Fatalf("%s\nwant a failure reported with %q", res.describe(), wrapperReport)
	}

	missingChart := filepath.Join(t.TempDir(), "no-such-chart")
	res = h.run(t, h.withPostRenderer("template", []string{releaseName, missingChart})...)
	if res.code == 0 {
		t.Fatalf("%s: exit code 0 for a missing chart, want a failure", strings.Join(res.args, " "))
	}
	if strings.Contains(res.stderr, wrapperReport) {
		t.Errorf("%s\nthe post-renderer never ran, but the wrapper reports the earlier run's failure as the cause", res.describe())
	}
}
