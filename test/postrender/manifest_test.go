package postrender

import (
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Names of what init-container mode adds to the Relay pod.
const (
	initContainerName = "fetch-credentials"
	configVolumeName  = "vault-relay-config"
	configDir         = "/.relay"
	relayContainer    = "relay"
)

// helmFilenameAnnotation is the annotation Helm 4 adds to every document it
// gives a post-renderer, and strips from the post-renderer's output.
const helmFilenameAnnotation = "postrenderer.helm.sh/postrender-filename"

// parseManifests decodes a YAML stream into its objects by "Kind/name",
// leaving out empty documents.
func parseManifests(t *testing.T, stream string) map[string]map[string]any {
	t.Helper()
	objects := map[string]map[string]any{}
	decoder := yaml.NewDecoder(strings.NewReader(stream))
	for {
		var object map[string]any
		err := decoder.Decode(&object)
		if errors.Is(err, io.EOF) {
			return objects
		}
		if err != nil {
			t.Fatalf("helm printed invalid YAML: %v\n%s", err, stream)
		}
		if object == nil {
			continue
		}
		key := objectKey(object)
		if _, seen := objects[key]; seen {
			t.Fatalf("helm printed %s twice", key)
		}
		objects[key] = object
	}
}

func objectKey(object map[string]any) string {
	name, _ := dig(object, "metadata", "name").(string)
	kind, _ := object["kind"].(string)
	return kind + "/" + name
}

// dig walks nested maps and returns nil when a key is missing.
func dig(object map[string]any, keys ...string) any {
	var current any = object
	for _, key := range keys {
		m, ok := current.(map[string]any)
		if !ok {
			return nil
		}
		current = m[key]
	}
	return current
}

// podSpec returns the pod spec of a workload with a spec.template, or nil.
func podSpec(workload map[string]any) map[string]any {
	spec, _ := dig(workload, "spec", "template", "spec").(map[string]any)
	return spec
}

// findNamed returns the element of a list whose name is name, or nil.
func findNamed(list any, name string) map[string]any {
	elements, _ := list.([]any)
	for _, e := range elements {
		if m, ok := e.(map[string]any); ok && m["name"] == name {
			return m
		}
	}
	return nil
}

// removeNamed removes the element named name from the list field of
// parent, and the field itself when the list ends up empty.
func removeNamed(parent map[string]any, field, name string) {
	elements, _ := parent[field].([]any)
	elements = slices.DeleteFunc(elements, func(e any) bool {
		m, ok := e.(map[string]any)
		return ok && m["name"] == name
	})
	if len(elements) == 0 {
		delete(parent, field)
		return
	}
	parent[field] = elements
}

func stringList(value any) []string {
	elements, _ := value.([]any)
	list := make([]string, 0, len(elements))
	for _, e := range elements {
		s, _ := e.(string)
		list = append(list, s)
	}
	return list
}

// assertInitContainerMode checks what init-container mode adds to a Relay
// workload: the init container, the in-memory volume, Relay's read-only
// mount of it and `--config /.relay` in Relay's arguments.
func assertInitContainerMode(t *testing.T, workload map[string]any) {
	t.Helper()
	spec := podSpec(workload)
	if spec == nil {
		t.Fatalf("%s has no pod template", objectKey(workload))
	}

	init := findNamed(spec["initContainers"], initContainerName)
	if init == nil {
		t.Errorf("%s has no init container %s", objectKey(workload), initContainerName)
	} else if mount := findNamed(init["volumeMounts"], configVolumeName); mount == nil || mount["mountPath"] != configDir {
		t.Errorf("init container %s mounts %s as %v, want it at %s", initContainerName, configVolumeName, mount, configDir)
	}

	volume := findNamed(spec["volumes"], configVolumeName)
	if got := dig(volume, "emptyDir", "medium"); got != "Memory" {
		t.Errorf("volume %s: emptyDir.medium = %v, want Memory", configVolumeName, got)
	}
	if got := dig(volume, "emptyDir", "sizeLimit"); got != "1Mi" {
		t.Errorf("volume %s: emptyDir.sizeLimit = %v, want 1Mi", configVolumeName, got)
	}

	relay := findNamed(spec["containers"], relayContainer)
	if relay == nil {
		t.Fatalf("%s has no container %s", objectKey(workload), relayContainer)
	}
	mount := findNamed(relay["volumeMounts"], configVolumeName)
	if mount == nil || mount["mountPath"] != configDir || mount["readOnly"] != true {
		t.Errorf("relay container mounts %s as %v, want read-only at %s", configVolumeName, mount, configDir)
	}
	args := stringList(relay["args"])
	if i := slices.Index(args, "--config"); i < 0 || i+1 >= len(args) || args[i+1] != configDir {
		t.Errorf("relay args = %q, want --config %s", args, configDir)
	}
	if n := countOf(args, "--config"); n != 1 {
		t.Errorf("relay args = %q hold --config %d times, want once", args, n)
	}
}

func countOf(list []string, value string) int {
	n := 0
	for _, s := range list {
		if s == value {
			n++
		}
	}
	return n
}

// withoutInitContainerMode returns a copy of a patched workload without
// what init-container mode adds, and with Relay's arguments set back to
// plainArgs (nil when the chart sets none). The copy equals the chart's own
// rendering when post-render changed nothing else.
func withoutInitContainerMode(t *testing.T, workload map[string]any, plainArgs any) map[string]any {
	t.Helper()
	clone := deepCopy(t, workload)
	spec := podSpec(clone)
	if spec == nil {
		t.Fatalf("%s has no pod template", objectKey(workload))
	}
	removeNamed(spec, "initContainers", initContainerName)
	removeNamed(spec, "volumes", configVolumeName)
	relay := findNamed(spec["containers"], relayContainer)
	if relay == nil {
		t.Fatalf("%s has no container %s", objectKey(workload), relayContainer)
	}
	removeNamed(relay, "volumeMounts", configVolumeName)
	if plainArgs == nil {
		delete(relay, "args")
	} else {
		relay["args"] = plainArgs
	}
	return clone
}

func deepCopy(t *testing.T, object map[string]any) map[string]any {
	t.Helper()
	data, err := yaml.Marshal(object)
	if err != nil {
		t.Fatal(err)
	}
	var clone map[string]any
	if err := yaml.Unmarshal(data, &clone); err != nil {
		t.Fatal(err)
	}
	return clone
}

// assertSameObject fails the test when two decoded objects differ, showing
// both.
func assertSameObject(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	gotYAML, _ := yaml.Marshal(got)
	wantYAML, _ := yaml.Marshal(want)
	t.Errorf("%s differs from the chart's own rendering\npost-rendered:\n%s\nchart's own:\n%s", what, gotYAML, wantYAML)
}
