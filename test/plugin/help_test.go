package plugin

import (
	"strings"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// TestPluginHelp checks that --help reaches the plugin through Helm, so Helm
// does not print its own help for the plugin command instead.
func TestPluginHelp(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"commands", []string{"--help"}, []string{"Usage:\n  vault-relay COMMAND", "install", "upgrade", "template", "values"}},
		{"install", []string{"install", "--help"}, []string{
			"helm vault-relay install [helm arguments]", "--allow-missing",
			"Precedence: the overlay is added after your own -f/--values files",
			"--set",
		}},
	}
	for _, helmName := range testenv.HelmVersions {
		for _, tt := range tests {
			t.Run(helmName+"/"+tt.name, func(t *testing.T) {
				h := newHelmEnv(t, helmName, "")

				res := h.mustPlugin(t, tt.args...)

				for _, want := range tt.want {
					if !strings.Contains(res.stdout, want) {
						t.Errorf("help lacks %q:\n%s", want, res.stdout)
					}
				}
			})
		}
	}
}
