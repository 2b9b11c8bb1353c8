package postrender

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// listedPlugin matches the main plugin's row in `helm plugin list`.
var listedPlugin = regexp.MustCompile(`(?m)^vault-relay\s`)

// TestPluginListWithMainPlugin checks that installing the main plugin from
// the checkout leaves Helm able to load its plugins. Helm 3 reads only
// <plugins>/*/plugin.yaml, so the postrenderer/v1 plugin.yaml, which it
// cannot parse, must stay one level deeper, in plugins/post-renderer.
func TestPluginListWithMainPlugin(t *testing.T) {
	for _, helmName := range testenv.HelmVersions {
		t.Run(helmName, func(t *testing.T) {
			h := newHelmEnv(t, helmName, wrapper, "")

			res := h.mustRun(t, "plugin", "list")
			if !listedPlugin.MatchString(res.stdout) {
				t.Errorf("helm plugin list does not list vault-relay:\n%s", res.stdout)
			}
			if strings.TrimSpace(res.stderr) != "" {
				t.Errorf("helm plugin list printed on stderr:\n%s", res.stderr)
			}
			if strings.Contains(res.stdout, postRendererPlugin) {
				t.Errorf("helm plugin list lists %s, which only `helm vault-relay ... --post-render` should add:\n%s", postRendererPlugin, res.stdout)
			}

			h.mustRun(t, "vault-relay", "--help")
		})
	}
}

// TestHelm3RejectsPostRendererPluginDirectory shows that the check above
// can fail: with plugins/ of the checkout on HELM_PLUGINS, Helm 3 meets the
// postrenderer/v1 plugin.yaml and loads no plugin at all.
func TestHelm3RejectsPostRendererPluginDirectory(t *testing.T) {
	h := newHelmEnv(t, "helm3", wrapper, "")
	installed := installedPlugins(t, "helm3", h.binary)
	h.setenv("HELM_PLUGINS=" + installed + string(filepath.ListSeparator) + filepath.Join(installed, "vault-relay", "plugins"))

	res := h.run(t, "plugin", "list")
	if res.code == 0 && strings.TrimSpace(res.stderr) == "" {
		t.Errorf("helm3 plugin list accepted a postrenderer/v1 plugin.yaml without an error:\n%s", res.stdout)
	}
}
