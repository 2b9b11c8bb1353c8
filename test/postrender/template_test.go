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
					assertSameObject(t, c.relay+" apart from init-container mode", withoutInitContainerMode(t, relay, plainArgs), plain[c.relay])

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
