package postrender

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ComponentLabel and ComponentValue mark a Relay pod template in the
// bundled chart and in charts that follow the app.kubernetes.io labels.
const (
	ComponentLabel = "app.kubernetes.io/component"
	ComponentValue = "sentry-relay"
	// RelayImageSuffix is the end of the repository of every Relay image,
	// whatever the registry: ghcr.io/getsentry/relay, getsentry/relay.
	RelayImageSuffix = "getsentry/relay"
)

// podTemplatePaths lists, per workload kind, where its pod template is.
var podTemplatePaths = map[string][]string{
	"Deployment":  {"spec", "template"},
	"StatefulSet": {"spec", "template"},
	"DaemonSet":   {"spec", "template"},
	"ReplicaSet":  {"spec", "template"},
	"Job":         {"spec", "template"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template"},
}

// mayHoldWorkload reports whether a document of this kind must be parsed.
func mayHoldWorkload(kind string) bool {
	_, ok := podTemplatePaths[kind]
	return ok || kind == "List" || strings.HasSuffix(kind, "List")
}

// Selector chooses the workloads to patch and Relay's container in them.
// The zero Selector picks workloads whose pod template has the label
// app.kubernetes.io/component=sentry-relay or a container running a Relay
// image.
type Selector struct {
	// Labels, when set, selects by the pod template's labels instead, in
	// Kubernetes' equality syntax: "a=b,c!=d,e,!f".
	Labels string
	// Workload, when set, selects by "Kind/name" instead, such as
	// "StatefulSet/relay".
	Workload string
	// Container names Relay's container. Empty means the container whose
	// image is a Relay image, or the only container.
	Container string

	requirements []labelRequirement
}

// labelRequirement is one term of an equality-based label selector.
type labelRequirement struct {
	key    string
	value  string
	op     string // "=", "!=", "exists", "!exists"
	source string
}

// Compile checks the selector and prepares it for matching.
func (s *Selector) Compile() error {
	if s.Labels != "" && s.Workload != "" {
		return fmt.Errorf("invalid selection: give a label selector or a workload, not both")
	}
	if s.Workload != "" {
		kind, name, ok := strings.Cut(s.Workload, "/")
		if !ok || name == "" {
			return fmt.Errorf("invalid workload %q: expected Kind/name, such as Deployment/relay", s.Workload)
		}
		if _, known := podTemplatePaths[kind]; !known {
			return fmt.Errorf("invalid workload %q: kind %q has no pod template; expected one of Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob", s.Workload, kind)
		}
	}
	s.requirements = nil
	if s.Labels == "" {
		return nil
	}
	for _, term := range strings.Split(s.Labels, ",") {
		req, err := parseRequirement(strings.TrimSpace(term))
		if err != nil {
			return fmt.Errorf("invalid label selector %q: %w", s.Labels, err)
		}
		s.requirements = append(s.requirements, req)
	}
	return nil
}

func parseRequirement(term string) (labelRequirement, error) {
	if strings.ContainsAny(term, "()") || strings.Contains(term, " in ") || strings.Contains(term, " notin ") {
		return labelRequirement{}, fmt.Errorf("term %q: set-based selectors (in, notin) are not supported; use key=value, key!=value, key or !key", term)
	}
	switch {
	case term == "":
		return labelRequirement{}, fmt.Errorf("empty term")
	case strings.Contains(term, "!="):
		key, value, _ := strings.Cut(term, "!=")
		return labelRequirement{key: strings.TrimSpace(key), value: strings.TrimSpace(value), op: "!=", source: term}, nil
	case strings.Contains(term, "=="):
		key, value, _ := strings.Cut(term, "==")
		return labelRequirement{key: strings.TrimSpace(key), value: strings.TrimSpace(value), op: "=", source: term}, nil
	case strings.Contains(term, "="):
		key, value, _ := strings.Cut(term, "=")
		return labelRequirement{key: strings.TrimSpace(key), value: strings.TrimSpace(value), op: "=", source: term}, nil
	case strings.HasPrefix(term, "!"):
		return labelRequirement{key: strings.TrimSpace(term[1:]), op: "!exists", source: term}, nil
	default:
		return labelRequirement{key: term, op: "exists", source: term}, nil
	}
}

func (r labelRequirement) matches(labels map[string]string) bool {
	value, ok := labels[r.key]
	switch r.op {
	case "=":
		return ok && value == r.value
	case "!=":
		return !ok || value != r.value
	case "exists":
		return ok
	default:
		return !ok
	}
}

// describe returns what the selector looks for, for the "nothing
// selected" message.
func (s *Selector) describe() string {
	switch {
	case s.Workload != "":
		return "the workload " + s.Workload
	case s.Labels != "":
		return "workloads whose pod template labels match " + s.Labels
	default:
		return fmt.Sprintf("Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs whose pod template has the label %s=%s or a container whose image repository ends in %s",
			ComponentLabel, ComponentValue, RelayImageSuffix)
	}
}

// workload is a selected workload's pod template and Relay container.
type workload struct {
	object    *yaml.RNode
	template  *yaml.RNode
	podSpec   *yaml.RNode
	container *yaml.RNode
}

// match reports whether object is a workload the selector picks, and if so
// returns its parts. An error means the workload is selected but Relay's
// container cannot be identified.
func (s *Selector) match(object *yaml.RNode) (*workload, error) {
	path, ok := podTemplatePaths[object.GetKind()]
	if !ok {
		return nil, nil
	}
	template, err := object.Pipe(yaml.Lookup(path...))
	if err != nil || !isMapping(template) {
		return nil, nil
	}
	podSpec, err := template.Pipe(yaml.Lookup("spec"))
	if err != nil || !isMapping(podSpec) {
		return nil, nil
	}
	containers, _ := podSpec.Pipe(yaml.Lookup("containers"))
	elements := mappingElements(containers)

	selected := false
	switch {
	case s.Workload != "":
		selected = object.GetKind()+"/"+object.GetName() == s.Workload
	case len(s.requirements) > 0:
		selected = s.matchLabels(template.GetLabels())
	default:
		selected = template.GetLabels()[ComponentLabel] == ComponentValue || relayContainer(elements) != nil
	}
	if !selected {
		return nil, nil
	}

	container, err := s.pickContainer(elements)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", object.GetKind(), object.GetName(), err)
	}
	return &workload{object: object, template: template, podSpec: podSpec, container: container}, nil
}

func (s *Selector) matchLabels(labels map[string]string) bool {
	for _, req := range s.requirements {
		if !req.matches(labels) {
			return false
		}
	}
	return true
}

func (s *Selector) pickContainer(containers []*yaml.RNode) (*yaml.RNode, error) {
	if s.Container != "" {
		for _, c := range containers {
			if yaml.GetValue(c.Field("name").Value) == s.Container {
				return c, nil
			}
		}
		return nil, fmt.Errorf("no container named %q", s.Container)
	}
	if c := relayContainer(containers); c != nil {
		return c, nil
	}
	if len(containers) == 1 {
		return containers[0], nil
	}
	if len(containers) == 0 {
		return nil, fmt.Errorf("the pod template has no containers")
	}
	return nil, fmt.Errorf("%d containers and none runs a %s image: name Relay's container with --container", len(containers), RelayImageSuffix)
}

// relayContainer returns the first container running a Relay image.
func relayContainer(containers []*yaml.RNode) *yaml.RNode {
	for _, c := range containers {
		if image := c.Field("image"); image != nil && IsRelayImage(yaml.GetValue(image.Value)) {
			return c
		}
	}
	return nil
}

// IsRelayImage reports whether an image reference's repository ends in
// getsentry/relay, ignoring its tag and digest.
func IsRelayImage(image string) bool {
	repo, _, _ := strings.Cut(image, "@")
	if slash := strings.LastIndex(repo, "/"); slash >= 0 {
		if colon := strings.LastIndex(repo[slash:], ":"); colon >= 0 {
			repo = repo[:slash+colon]
		}
	}
	return repo == RelayImageSuffix || strings.HasSuffix(repo, "/"+RelayImageSuffix)
}

// mappingElements returns the elements of list that are mappings; a
// container written as a scalar or null is no container.
func mappingElements(list *yaml.RNode) []*yaml.RNode {
	elements, _ := elementsOf(list)
	var mappings []*yaml.RNode
	for _, e := range elements {
		if isMapping(e) {
			mappings = append(mappings, e)
		}
	}
	return mappings
}

func elementsOf(list *yaml.RNode) ([]*yaml.RNode, error) {
	if list == nil || list.YNode().Kind != yaml.SequenceNode {
		return nil, nil
	}
	return list.Elements()
}
