package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Names of what vault-relay post-render adds in init-container mode, as set
// in internal/postrender.
const (
	initContainerName = "fetch-credentials"
	configVolumeName  = "vault-relay-config"
	configDir         = "/.relay"
)

// kustomization patches the relay Deployment, found by its label, with the
// strategic merge patch in patch.yaml: initContainers and volumes merge by
// name, volumeMounts by mountPath, and args is replaced whole.
const kustomization = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - stream.yaml
patches:
  - path: patch.yaml
    target:
      kind: Deployment
      labelSelector: app.kubernetes.io/component=sentry-relay
`

// yqExpression applies the same patch.yaml in one yq eval-all pass: it
// selects the Deployment by its pod template label and Relay's container
// by its image, as vault-relay post-render does.
const yqExpression = `(select(.kind == "Deployment" and .spec.template.metadata.labels["app.kubernetes.io/component"] == "sentry-relay") | .spec.template.spec) |= (
  load("patch.yaml").spec.template.spec as $patch |
  .initContainers += $patch.initContainers |
  .volumes += $patch.volumes |
  (.containers[] | select(.image | test("(^|/)getsentry/relay([:@]|$)"))) |= (
    .args = $patch.containers[0].args |
    .volumeMounts += $patch.containers[0].volumeMounts
  )
)`

// patch is vault-relay post-render's change to the relay Deployment, in a
// form the other tools can apply.
type patch struct {
	podSpec  map[string]any // the relay pod spec after patching; every tool must produce it
	strategy []byte         // strategic merge patch for kustomize, loaded by yq too
}

// derivePatch runs vault-relay post-render on the relay Deployment alone and
// turns what it added into a strategic merge patch. Because the patch is
// derived, kustomize and yq get the same init container, volume, mount and
// arguments even after vault-relay's defaults change.
func derivePatch(vaultRelay, work string) (patch, error) {
	var relay strings.Builder
	writeRelayDeployment(&relay)
	cmd := exec.Command(vaultRelay, "post-render")
	cmd.Env = toolEnv(work)
	cmd.Stdin = strings.NewReader(relay.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return patch{}, fmt.Errorf("vault-relay post-render on the relay Deployment: %w\n%s", err, stderr.Bytes())
	}

	var patched map[string]any
	if err := yaml.Unmarshal(out, &patched); err != nil {
		return patch{}, fmt.Errorf("decode vault-relay output: %w", err)
	}
	podSpec, ok := dig(patched, "spec", "template", "spec").(map[string]any)
	if !ok {
		return patch{}, errors.New("vault-relay output has no spec.template.spec")
	}
	container, ok := findNamed(podSpec["containers"], "relay").(map[string]any)
	if !ok {
		return patch{}, errors.New("vault-relay output has no relay container")
	}
	if err := checkPatched(podSpec, container); err != nil {
		return patch{}, fmt.Errorf("vault-relay output on the relay Deployment: %w", err)
	}

	strategy := map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": relayName},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"initContainers": podSpec["initContainers"],
			"volumes":        []any{findNamed(podSpec["volumes"], configVolumeName)},
			"containers": []any{map[string]any{
				"name":         "relay",
				"args":         container["args"],
				"volumeMounts": []any{findNamed(container["volumeMounts"], configVolumeName)},
			}},
		}}},
	}
	data, err := yaml.Marshal(strategy)
	if err != nil {
		return patch{}, err
	}
	return patch{podSpec: podSpec, strategy: data}, nil
}

// checkPatched reports what is missing from a patched relay pod spec.
func checkPatched(podSpec, container map[string]any) error {
	if findNamed(podSpec["initContainers"], initContainerName) == nil {
		return fmt.Errorf("no init container %q", initContainerName)
	}
	if findNamed(podSpec["volumes"], configVolumeName) == nil {
		return fmt.Errorf("no volume %q", configVolumeName)
	}
	if findNamed(container["volumeMounts"], configVolumeName) == nil {
		return fmt.Errorf("no volume mount %q in the relay container", configVolumeName)
	}
	args, _ := container["args"].([]any)
	if i := slices.Index(args, any("--config")); i < 0 || i+1 >= len(args) || args[i+1] != configDir {
		return fmt.Errorf("relay container args %v lack --config %s", args, configDir)
	}
	return nil
}

// writeInputs writes stream.yaml, patch.yaml and kustomization.yaml into
// dir, the working directory of every tool.
func writeInputs(dir string, stream []byte, p patch) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string][]byte{
		"stream.yaml":        stream,
		"patch.yaml":         p.strategy,
		"kustomization.yaml": []byte(kustomization),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// checkOutput decodes a tool's output stream and returns an error unless it
// contains all documents of the input and exactly one patched Deployment,
// whose pod spec equals p.podSpec.
func checkOutput(out []byte, documents int, p patch) error {
	decoder := yaml.NewDecoder(bytes.NewReader(out))
	count, relays := 0, 0
	for {
		var doc map[string]any
		err := decoder.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("invalid YAML after %d documents: %w", count, err)
		}
		if doc == nil {
			continue
		}
		count++

		podSpec, _ := dig(doc, "spec", "template", "spec").(map[string]any)
		if podSpec == nil {
			continue
		}
		labels, _ := dig(doc, "spec", "template", "metadata", "labels").(map[string]any)
		if labels[relayComponentLabel] != relayComponent {
			if _, ok := podSpec["initContainers"]; ok {
				return fmt.Errorf("%s/%v was patched but is not the relay workload", doc["kind"], dig(doc, "metadata", "name"))
			}
			continue
		}
		relays++
		if !reflect.DeepEqual(sortMounts(podSpec), sortMounts(p.podSpec)) {
			got, _ := yaml.Marshal(podSpec)
			want, _ := yaml.Marshal(p.podSpec)
			return fmt.Errorf("relay pod spec differs from vault-relay's patch:\ngot:\n%s\nexpected:\n%s", got, want)
		}
	}
	if count != documents {
		return fmt.Errorf("%d documents in the output, expected %d", count, documents)
	}
	if relays != 1 {
		return fmt.Errorf("%d relay Deployments in the output, expected 1", relays)
	}
	return nil
}

// checkPassThrough returns an error unless every document of input other
// than the relay Deployment appears in out byte for byte, as vault-relay
// promises.
func checkPassThrough(input, out []byte) error {
	marker := []byte("---\n# Source: platform/templates/relay/")
	start := bytes.Index(input, marker)
	if start < 0 {
		return errors.New("the input has no relay Deployment")
	}
	end := len(input)
	if next := bytes.Index(input[start+len(marker):], []byte("\n---\n")); next >= 0 {
		end = start + len(marker) + next + 1
	}
	if !bytes.HasPrefix(out, input[:start]) {
		return errors.New("the documents before the relay Deployment changed")
	}
	if !bytes.HasSuffix(out, input[end:]) {
		return errors.New("the documents after the relay Deployment changed")
	}
	return nil
}

// sortMounts returns a copy of v in which every volumes and volumeMounts
// list is sorted by name and mount path. kustomize's strategic merge puts
// the elements it adds first, while vault-relay and yq put them last.
// Kubernetes gives no meaning to the order of volumes, nor to the order of
// mounts at unrelated paths.
func sortMounts(v any) any {
	switch v := v.(type) {
	case map[string]any:
		sorted := make(map[string]any, len(v))
		for key, value := range v {
			sorted[key] = sortMounts(value)
			if list, ok := sorted[key].([]any); ok && (key == "volumes" || key == "volumeMounts") {
				slices.SortFunc(list, func(a, b any) int {
					return strings.Compare(fmt.Sprint(dig(a, "name"), dig(a, "mountPath")), fmt.Sprint(dig(b, "name"), dig(b, "mountPath")))
				})
			}
		}
		return sorted
	case []any:
		sorted := make([]any, len(v))
		for i, value := range v {
			sorted[i] = sortMounts(value)
		}
		return sorted
	default:
		return v
	}
}

// dig returns the value at path in nested mappings, or nil.
func dig(v any, path ...string) any {
	for _, key := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[key]
	}
	return v
}

// findNamed returns the element of list whose "name" is name, or nil.
func findNamed(list any, name string) any {
	elements, _ := list.([]any)
	for _, e := range elements {
		if m, ok := e.(map[string]any); ok && m["name"] == name {
			return m
		}
	}
	return nil
}
