package postrender

import (
	"slices"
	"strings"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// TestTemplatePatchesRelayOnly renders each chart with and without the
// post-renderer and compares the two object by object: the Relay workload
// gets init-container mode and nothing else changes.
func TestTemplatePatchesRelayOnly(t *testing.T) {
	for _, helmName := range testenv.HelmVersions {
		for _, way := range ways {
			for _, c := range testCharts() {
				t.Run(helmName+"/"+way+"/"+c.name, func(t *testing.T) {
					h := newHelmEnv(t, helmName, way, "")
					args := append([]string{releaseName, c.dir}, c.args...)
					plain := parseManifests(t, h.mustRun(t, append([]string{"template"}, args...)...).stdout)
					rendered := h.mustRun(t, h.withPostRenderer("template", args)...)
					patched := parseManifests(t, rendered.stdout)

					if strings.Contains(rendered.stdout, helmFilenameAnnotation) {
						t.Errorf("the output still contains Helm 4's annotation %s", helmFilenameAnnotation)
					}
					assertSameKeys(t, patched, plain)
					for _, key := range append([]string{c.relay}, c.others...) {
						if plain[key] == nil {
							t.Fatalf("the chart renders no %s; the test expects one", key)
						}
					}

					relay := patched[c.relay]
					if relay == nil {
						t.Fatalf("the post-rendered output has no %s", c.relay)
					}
					assertInitContainerMode(t, relay)
					plainArgs := findNamed(podSpec(plain[c.relay])["containers"], relayContainer)["args"]
					// The credential variables are left out of the comparison,
					// see TestInitContainerModeLeavesNoCredentialVariables.
					assertSameObject(t, c.relay+" apart from init-container mode",
						withoutCredentialVariables(t, withoutInitContainerMode(t, relay, plainArgs)),
						withoutCredentialVariables(t, plain[c.relay]))

					for key, object := range patched {
						if key != c.relay {
							assertSameObject(t, key, object, plain[key])
						}
					}
				})
			}
		}
	}
}

// assertSameKeys checks that the post-renderer neither dropped nor added an
// object: a "---" line inside a block scalar split into two documents, for
// example, would add one.
func assertSameKeys(t *testing.T, patched, plain map[string]map[string]any) {
	t.Helper()
	var got, want []string
	for key := range patched {
		got = append(got, key)
	}
	for key := range plain {
		want = append(want, key)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("post-rendered objects = %q, want the chart's own %q", got, want)
	}
}

// credentialVariables are the environment variables with which Relay
// overrides, field by field, the credentials it read from credentials.json
// (getsentry/relay, relay-config/src/config.rs, Config::apply_override).
var credentialVariables = []string{"RELAY_ID", "RELAY_PUBLIC_KEY", "RELAY_SECRET_KEY"}

// TestInitContainerModeLeavesNoCredentialVariables renders the bundled
// chart with its own vault support off, so that Relay's container takes
// RELAY_ID, RELAY_PUBLIC_KEY and RELAY_SECRET_KEY from the Secret
// relay-creds. Relay would let those variables win over the credentials.json
// the init container writes, and the vault's credentials would go unused
// without a word. So post-render must either take the variables out or
// fail and name them.
func TestInitContainerModeLeavesNoCredentialVariables(t *testing.T) {
	c := testCharts()[1]
	for _, helmName := range testenv.HelmVersions {
		t.Run(helmName, func(t *testing.T) {
			h := newHelmEnv(t, helmName, direct, "")
			args := append([]string{releaseName, c.dir}, c.args...)
			plain := parseManifests(t, h.mustRun(t, append([]string{"template"}, args...)...).stdout)
			relay := findNamed(podSpec(plain[c.relay])["containers"], relayContainer)
			for _, name := range credentialVariables {
				if findNamed(relay["env"], name) == nil {
					t.Fatalf("the chart's own rendering has no %s; the test expects all three", name)
				}
			}

			res := h.run(t, h.withPostRenderer("template", args)...)
			if res.code != 0 {
				if !strings.Contains(res.stderr+lastErrorText(h), "RELAY_SECRET_KEY") {
					t.Errorf("%s\npost-render failed without naming the credential variables", res.describe())
				}
				return
			}
			patched := findNamed(podSpec(parseManifests(t, res.stdout)[c.relay])["containers"], relayContainer)
			for _, name := range credentialVariables {
				if env := findNamed(patched["env"], name); env != nil {
					t.Errorf("init-container mode keeps %s = %v in the relay container, which overrides credentials.json", name, env)
				}
			}
		})
	}
}

// withoutCredentialVariables returns a copy of workload without the
// credential variables in Relay's container.
func withoutCredentialVariables(t *testing.T, workload map[string]any) map[string]any {
	t.Helper()
	clone := deepCopy(t, workload)
	relay := findNamed(podSpec(clone)["containers"], relayContainer)
	if relay == nil {
		t.Fatalf("%s has no container %s", objectKey(workload), relayContainer)
	}
	for _, name := range credentialVariables {
		removeNamed(relay, "env", name)
	}
	return clone
}
