package postrender

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// setConfigArg makes Relay read its config directory from ConfigDir. It
// rewrites an existing --config/-c value, and otherwise appends
// "--config /.relay" to the arguments, keeping those already there. With no
// command and no arguments, the image runs "run" by default, so the
// arguments become "run --config /.relay".
func setConfigArg(container *yaml.RNode) error {
	args := stringList(lookup(container, "args"))
	command := stringList(lookup(container, "command"))

	if replaced, ok := replaceConfigValue(args); ok {
		return setStringList(container, "args", replaced)
	}
	if replaced, ok := replaceConfigValue(command); ok {
		return setStringList(container, "command", replaced)
	}
	if len(args) == 0 && len(command) == 0 {
		args = []string{"run"}
	}
	return setStringList(container, "args", append(args, "--config", ConfigDir))
}

// replaceConfigValue sets the value of --config, --config=, -c or -c= in
// args to ConfigDir, and reports whether args had one.
func replaceConfigValue(args []string) ([]string, bool) {
	out := append([]string{}, args...)
	for i, arg := range out {
		switch {
		case (arg == "--config" || arg == "-c") && i+1 < len(out):
			out[i+1] = ConfigDir
			return out, true
		case strings.HasPrefix(arg, "--config="):
			out[i] = "--config=" + ConfigDir
			return out, true
		case strings.HasPrefix(arg, "-c="):
			out[i] = "-c=" + ConfigDir
			return out, true
		}
	}
	return args, false
}

func stringList(node *yaml.RNode) []string {
	elements, _ := elementsOf(node)
	list := make([]string, 0, len(elements))
	for _, e := range elements {
		list = append(list, yaml.GetValue(e))
	}
	return list
}

// setStringList replaces a list field, keeping the existing node's style
// when the list is unchanged so a second run leaves it byte for byte.
func setStringList(container *yaml.RNode, field string, values []string) error {
	current := stringList(lookup(container, field))
	if len(current) == len(values) && strings.Join(current, "\x00") == strings.Join(values, "\x00") {
		return nil
	}
	return container.PipeE(yaml.SetField(field, yaml.NewListRNode(values...)))
}
