package postrender

import (
	"fmt"
	"strconv"

	goyaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Names and paths of what ModeInitContainer adds to a pod.
const (
	InitContainerName = "fetch-credentials"
	ConfigVolumeName  = "vault-relay-config"
	ConfigDir         = "/.relay"
	// defaultUID is the user of the Relay image since 25.8.0 and of the
	// vault-relay image. The init container must write as the user Relay
	// reads as, because credentials.json is readable by its owner only.
	defaultUID = 65532
)

// InitContainer configures the fetch-credentials init container.
type InitContainer struct {
	Image           string // vault-relay image
	APIKeySecret    string // Secret holding the WorkOS API key
	APIKeySecretKey string // key of the API key in that Secret
	APIBase         string // WORKOS_API_BASE
	ObjectName      string // WORKOS_VAULT_SECRET_NAME
	Timeout         string // VAULT_RELAY_TIMEOUT, a Go duration
	StartJitter     string // VAULT_RELAY_START_JITTER, a Go duration; empty for none
	Upstream        string // RELAY_UPSTREAM_URL for config.yml
	Port            int    // RELAY_PORT for config.yml
	LogLevel        string // RELAY_LOG_LEVEL for config.yml
	Strict          bool   // add --strict
	// Resources is the container's resources block, such as
	// {"requests": {"cpu": "10m"}}. Nil means none.
	Resources map[string]map[string]string
}

// containerSpec is the init container in the field order kubectl shows.
type containerSpec struct {
	Name            string                       `yaml:"name"`
	Image           string                       `yaml:"image"`
	Args            []string                     `yaml:"args"`
	Env             []envVar                     `yaml:"env"`
	Resources       map[string]map[string]string `yaml:"resources,omitempty"`
	SecurityContext securityContext              `yaml:"securityContext"`
	VolumeMounts    []volumeMount                `yaml:"volumeMounts"`
}

type envVar struct {
	Name      string     `yaml:"name"`
	Value     string     `yaml:"value,omitempty"`
	ValueFrom *valueFrom `yaml:"valueFrom,omitempty"`
}

type valueFrom struct {
	SecretKeyRef secretKeyRef `yaml:"secretKeyRef"`
}

type secretKeyRef struct {
	Name string `yaml:"name"`
	Key  string `yaml:"key"`
}

// securityContext meets Pod Security "restricted".
type securityContext struct {
	RunAsNonRoot             bool                `yaml:"runAsNonRoot"`
	RunAsUser                int64               `yaml:"runAsUser"`
	RunAsGroup               int64               `yaml:"runAsGroup"`
	AllowPrivilegeEscalation bool                `yaml:"allowPrivilegeEscalation"`
	ReadOnlyRootFilesystem   bool                `yaml:"readOnlyRootFilesystem"`
	Capabilities             map[string][]string `yaml:"capabilities"`
	SeccompProfile           map[string]string   `yaml:"seccompProfile"`
}

type volumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
	ReadOnly  bool   `yaml:"readOnly,omitempty"`
}

func (c InitContainer) spec(uid, gid int64) containerSpec {
	args := []string{"fetch", "--log-format", "json"}
	if c.Strict {
		args = append(args, "--strict")
	}
	env := []envVar{
		{Name: "WORKOS_API_KEY", ValueFrom: &valueFrom{SecretKeyRef: secretKeyRef{Name: c.APIKeySecret, Key: c.APIKeySecretKey}}},
		{Name: "WORKOS_API_BASE", Value: c.APIBase},
		{Name: "WORKOS_VAULT_SECRET_NAME", Value: c.ObjectName},
		{Name: "VAULT_RELAY_TIMEOUT", Value: c.Timeout},
		{Name: "RELAY_CONFIG_DIR", Value: ConfigDir},
		{Name: "RELAY_UPSTREAM_URL", Value: c.Upstream},
		{Name: "RELAY_HOST", Value: "0.0.0.0"},
		{Name: "RELAY_PORT", Value: strconv.Itoa(c.Port)},
		{Name: "RELAY_LOG_LEVEL", Value: c.LogLevel},
	}
	if c.StartJitter != "" {
		env = append(env, envVar{Name: "VAULT_RELAY_START_JITTER", Value: c.StartJitter})
	}
	return containerSpec{
		Name:      InitContainerName,
		Image:     c.Image,
		Args:      args,
		Env:       env,
		Resources: c.Resources,
		SecurityContext: securityContext{
			RunAsNonRoot: true, RunAsUser: uid, RunAsGroup: gid,
			ReadOnlyRootFilesystem: true,
			Capabilities:           map[string][]string{"drop": {"ALL"}},
			SeccompProfile:         map[string]string{"type": "RuntimeDefault"},
		},
		VolumeMounts: []volumeMount{{Name: ConfigVolumeName, MountPath: ConfigDir}},
	}
}

// toRNode encodes v with the YAML library and parses it as a kyaml node.
func toRNode(v any) (*yaml.RNode, error) {
	data, err := goyaml.Marshal(v)
	if err != nil {
		return nil, err
	}
	return yaml.Parse(string(data))
}

// apply adds the volume, the init container, the read-only mount and the
// --config argument to w. Each step replaces what an earlier run added, so
// applying twice gives the same result as once.
func (c InitContainer) apply(w *workload) error {
	uid, gid := runAsIDs(w)

	volume, err := toRNode(struct {
		Name     string            `yaml:"name"`
		EmptyDir map[string]string `yaml:"emptyDir"`
	}{ConfigVolumeName, map[string]string{"medium": "Memory", "sizeLimit": "1Mi"}})
	if err != nil {
		return err
	}
	if err := setElement(w.podSpec, "volumes", volume, ConfigVolumeName); err != nil {
		return err
	}

	init, err := toRNode(c.spec(uid, gid))
	if err != nil {
		return err
	}
	if err := setElement(w.podSpec, "initContainers", init, InitContainerName); err != nil {
		return err
	}

	if err := mountConfigDir(w.container); err != nil {
		return err
	}
	if err := removeEnv(w.container, relayCredentialVariables...); err != nil {
		return err
	}
	return setConfigArg(w.container)
}

// relayCredentialVariables override credentials.json field by field when
// Relay starts (relay-config's environment overrides), so credentials a
// chart still wires in would silently win over the vault's.
var relayCredentialVariables = []string{"RELAY_ID", "RELAY_PUBLIC_KEY", "RELAY_SECRET_KEY"}

// removeEnv deletes the named variables from a container's env list.
func removeEnv(container *yaml.RNode, names ...string) error {
	env := lookup(container, "env")
	if env == nil || env.YNode().Kind != yaml.SequenceNode {
		return nil
	}
	for _, name := range names {
		if err := env.PipeE(yaml.ElementSetter{Keys: []string{"name"}, Values: []string{name}}); err != nil {
			return err
		}
	}
	return nil
}

// runAsIDs returns the user and group Relay's container runs as, from its
// own securityContext, then the pod's, then the Relay image's default.
func runAsIDs(w *workload) (uid, gid int64) {
	uid, gid = defaultUID, defaultUID
	for _, ctx := range []*yaml.RNode{lookup(w.podSpec, "securityContext"), lookup(w.container, "securityContext")} {
		if ctx == nil {
			continue
		}
		if v, err := strconv.ParseInt(fieldString(ctx, "runAsUser"), 10, 64); err == nil {
			uid = v
		}
		if v, err := strconv.ParseInt(fieldString(ctx, "runAsGroup"), 10, 64); err == nil {
			gid = v
		}
	}
	return uid, gid
}

func mountConfigDir(container *yaml.RNode) error {
	mounts := mappingElements(lookup(container, "volumeMounts"))
	for _, m := range mounts {
		if fieldString(m, "mountPath") == ConfigDir && fieldString(m, "name") != ConfigVolumeName {
			return fmt.Errorf("container %q already mounts volume %q at %s", fieldString(container, "name"), fieldString(m, "name"), ConfigDir)
		}
	}
	mount, err := toRNode(volumeMount{Name: ConfigVolumeName, MountPath: ConfigDir, ReadOnly: true})
	if err != nil {
		return err
	}
	return setElement(container, "volumeMounts", mount, ConfigVolumeName)
}

// setElement replaces the element of the list field whose name is name, or
// appends node when there is none, creating the list if needed.
func setElement(parent *yaml.RNode, field string, node *yaml.RNode, name string) error {
	list, err := parent.Pipe(yaml.LookupCreate(yaml.SequenceNode, field))
	if err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	if list == nil || list.YNode().Kind != yaml.SequenceNode {
		return fmt.Errorf("%s is not a list", field)
	}
	return list.PipeE(yaml.ElementSetter{Keys: []string{"name"}, Values: []string{name}, Element: node.YNode()})
}

func lookup(node *yaml.RNode, path ...string) *yaml.RNode {
	if node == nil {
		return nil
	}
	found, err := node.Pipe(yaml.Lookup(path...))
	if err != nil {
		return nil
	}
	return found
}

func fieldString(node *yaml.RNode, field string) string {
	if node == nil || node.YNode().Kind != yaml.MappingNode {
		return ""
	}
	f := node.Field(field)
	if f == nil || f.Value == nil {
		return ""
	}
	return yaml.GetValue(f.Value)
}
