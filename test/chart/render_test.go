package chart

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"sigs.k8s.io/yaml"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// Release every render uses, as `helm template sentry -n relay` would.
const (
	releaseName      = "sentry"
	releaseNamespace = "relay"
)

// caseValuesSuffix ends the name of every values file in the chart's ci/
// directory: ci/<case>-values.yaml.
const caseValuesSuffix = "-values.yaml"

func chartDir() string {
	return filepath.Join(testenv.RepoRoot(), "charts", "sentry-relay")
}

func caseValuesPath(name string) string {
	return filepath.Join(chartDir(), "ci", name+caseValuesSuffix)
}

// caseNames lists the golden cases: one per values file in ci/.
func caseNames(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(chartDir(), "ci", "*"+caseValuesSuffix))
	if err != nil {
		t.Fatalf("list ci values files: %v", err)
	}
	if len(paths) == 0 {
		t.Fatalf("no *%s file in %s", caseValuesSuffix, filepath.Join(chartDir(), "ci"))
	}
	names := make([]string, 0, len(paths))
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(filepath.Base(p), caseValuesSuffix))
	}
	slices.Sort(names)
	return names
}

// loadChart loads the chart directory once per test binary. The chart is
// never modified after loading, so tests share it.
var loadChart = sync.OnceValues(func() (*chartv2.Chart, error) {
	return loader.Load(chartDir())
})

// rendered is the result of one render: the manifests in the order
// `helm template` prints them, and the rendered NOTES.txt.
type rendered struct {
	manifests []releaseutil.Manifest
	notes     string
}

// renderValues renders the chart as `helm template sentry -n relay` does with
// vals as the user-supplied values: coalesced with values.yaml, checked
// against values.schema.json, rendered by Helm's engine and sorted in Helm's
// install order. The engine runs in strict mode, so a template that reads a
// value missing from values.yaml fails instead of rendering it empty.
func renderValues(vals map[string]any) (rendered, error) {
	ch, err := loadChart()
	if err != nil {
		return rendered{}, fmt.Errorf("load chart: %w", err)
	}

	options := common.ReleaseOptions{Name: releaseName, Namespace: releaseNamespace, Revision: 1, IsInstall: true}
	top, err := chartutil.ToRenderValues(ch, vals, options, common.DefaultCapabilities)
	if err != nil {
		return rendered{}, err
	}

	files, err := engine.Engine{Strict: true}.RenderWithContext(context.Background(), ch, top)
	if err != nil {
		return rendered{}, err
	}

	notesPath := path.Join(ch.Name(), "templates", "NOTES.txt")
	notes := files[notesPath]
	delete(files, notesPath)

	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return rendered{}, fmt.Errorf("split rendered manifests: %w", err)
	}
	if len(hooks) > 0 {
		return rendered{}, fmt.Errorf("chart rendered %d hooks; the tests expect none", len(hooks))
	}
	return rendered{manifests: manifests, notes: notes}, nil
}

// renderCase renders the chart with ci/<name>-values.yaml.
func renderCase(t *testing.T, name string) rendered {
	t.Helper()
	out, err := renderValues(readValuesFile(t, caseValuesPath(name)))
	if err != nil {
		t.Fatalf("render case %s: %v", name, err)
	}
	return out
}

// renderYAML renders the chart with values given as YAML text.
func renderYAML(t *testing.T, values string) (rendered, error) {
	t.Helper()
	vals, err := common.ReadValues([]byte(values))
	if err != nil {
		t.Fatalf("parse test values: %v\n%s", err, values)
	}
	return renderValues(vals)
}

func readValuesFile(t *testing.T, path string) map[string]any {
	t.Helper()
	vals, err := common.ReadValuesFile(path)
	if err != nil {
		t.Fatalf("read values file: %v", err)
	}
	return vals
}

// stream joins the manifests as `helm template` prints them.
func (r rendered) stream() string {
	var b strings.Builder
	for _, m := range r.manifests {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.Name, m.Content)
	}
	return b.String()
}

// objectIDs returns "Kind/name" of every manifest, in render order.
func (r rendered) objectIDs() []string {
	ids := make([]string, 0, len(r.manifests))
	for _, m := range r.manifests {
		ids = append(ids, objectID(m.Head))
	}
	return ids
}

func objectID(head *releaseutil.SimpleHead) string {
	if head == nil {
		return "/"
	}
	name := ""
	if head.Metadata != nil {
		name = head.Metadata.Name
	}
	return head.Kind + "/" + name
}

// decode parses the manifest "Kind/name" into out, rejecting fields that
// out's type does not have, so a misspelt field in a template fails the
// test. It reports whether the manifest exists.
func (r rendered) decode(t *testing.T, id string, out any) bool {
	t.Helper()
	for _, m := range r.manifests {
		if objectID(m.Head) != id {
			continue
		}
		if err := yaml.UnmarshalStrict([]byte(m.Content), out); err != nil {
			t.Fatalf("decode %s from %s: %v", id, m.Name, err)
		}
		return true
	}
	return false
}

// mustDecode is decode for a manifest the test requires.
func (r rendered) mustDecode(t *testing.T, id string, out any) {
	t.Helper()
	if !r.decode(t, id, out) {
		t.Fatalf("manifest %s not rendered; rendered: %v", id, r.objectIDs())
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
