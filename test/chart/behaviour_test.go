package chart

import (
	"maps"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// Names the default values and the ci/ cases produce for release "sentry".
const (
	defaultFullname    = "sentry-sentry-relay"
	customFullname     = "relay-edge"
	relaySecretName    = "sentry-relay-secret"
	backendSecretName  = "backend-secret"
	initContainerName  = "fetch-credentials"
	relayContainerName = "relay"
	configVolumeName   = "relay-config"
)

func deploymentOf(t *testing.T, r rendered, fullname string) *appsv1.Deployment {
	t.Helper()
	var d appsv1.Deployment
	r.mustDecode(t, "Deployment/"+fullname, &d)
	return &d
}

func findContainer(t *testing.T, containers []corev1.Container, name string) corev1.Container {
	t.Helper()
	for _, c := range containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("container %s not found", name)
	return corev1.Container{}
}

func findVolume(t *testing.T, spec corev1.PodSpec, name string) corev1.Volume {
	t.Helper()
	for _, v := range spec.Volumes {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("volume %s not found", name)
	return corev1.Volume{}
}

func findMount(t *testing.T, c corev1.Container, name string) corev1.VolumeMount {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("container %s: volume mount %s not found", c.Name, name)
	return corev1.VolumeMount{}
}

// envOf returns the container's variables by name.
func envOf(c corev1.Container) map[string]corev1.EnvVar {
	env := make(map[string]corev1.EnvVar, len(c.Env))
	for _, e := range c.Env {
		env[e.Name] = e
	}
	return env
}

func assertSecretRef(t *testing.T, env map[string]corev1.EnvVar, name, wantSecret, wantKey string) {
	t.Helper()
	e, ok := env[name]
	if !ok {
		t.Errorf("env %s missing", name)
		return
	}
	if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
		t.Errorf("env %s: want a secretKeyRef and no value, got %+v", name, e)
		return
	}
	ref := e.ValueFrom.SecretKeyRef
	if ref.Name != wantSecret || ref.Key != wantKey {
		t.Errorf("env %s: secretKeyRef %s/%s, want %s/%s", name, ref.Name, ref.Key, wantSecret, wantKey)
	}
}

func TestVaultModeRendering(t *testing.T) {
	tests := []struct {
		name           string
		fullname       string
		apiKeySecret   string
		apiKeyKey      string
		wantEnv        map[string]string
		wantArgs       []string
		wantInitImage  string
		wantRelayImage string
	}{
		{
			name:         "vault-on",
			fullname:     defaultFullname,
			apiKeySecret: backendSecretName,
			apiKeyKey:    "AUTH_API_KEY",
			wantEnv: map[string]string{
				"WORKOS_API_BASE":          "https://api.workos.com",
				"WORKOS_VAULT_SECRET_NAME": "runlayer-sentry-credentials",
				"VAULT_RELAY_TIMEOUT":      "60s",
				"RELAY_CONFIG_DIR":         "/.relay",
				"RELAY_UPSTREAM_URL":       "https://sentry.io/",
				"RELAY_HOST":               "0.0.0.0",
				"RELAY_PORT":               "3000",
				"RELAY_LOG_LEVEL":          "info",
			},
			wantArgs:       []string{"fetch", "--log-format", "json"},
			wantInitImage:  "ghcr.io/helm-vault-relay/vault-relay:0.1.0",
			wantRelayImage: "ghcr.io/getsentry/relay:25.10.0",
		},
		{
			name:         "existing-secrets",
			fullname:     defaultFullname,
			apiKeySecret: "workos-api",
			apiKeyKey:    "api-key",
			wantEnv: map[string]string{
				"WORKOS_VAULT_SECRET_NAME": "runlayer-sentry-credentials",
				"RELAY_CONFIG_DIR":         "/.relay",
			},
			wantArgs:       []string{"fetch", "--log-format", "json"},
			wantInitImage:  "ghcr.io/helm-vault-relay/vault-relay:0.1.0",
			wantRelayImage: "ghcr.io/getsentry/relay:25.10.0",
		},
		{
			name:         "custom-image-resources",
			fullname:     customFullname,
			apiKeySecret: backendSecretName,
			apiKeyKey:    "AUTH_API_KEY",
			wantEnv: map[string]string{
				"WORKOS_API_BASE":          "https://workos-proxy.example.test",
				"WORKOS_VAULT_SECRET_NAME": "edge-relay-credentials",
				"VAULT_RELAY_TIMEOUT":      "2m",
				"RELAY_CONFIG_DIR":         "/.relay",
				"RELAY_UPSTREAM_URL":       "https://sentry.example.test/",
				"RELAY_PORT":               "3300",
				"RELAY_LOG_LEVEL":          "debug",
			},
			wantArgs:       []string{"fetch", "--log-format", "json", "--strict"},
			wantInitImage:  "registry.example.test/mirror/vault-relay:0.1.0-rc.1",
			wantRelayImage: "registry.example.test/mirror/relay:25.9.1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := renderCase(t, tt.name)

			if slices.Contains(r.objectIDs(), "Secret/"+relaySecretName) {
				t.Errorf("vault mode rendered Secret/%s; rendered: %v", relaySecretName, r.objectIDs())
			}
			if slices.Contains(r.objectIDs(), "ConfigMap/"+tt.fullname) {
				t.Errorf("vault mode rendered ConfigMap/%s, but the init container writes config.yml", tt.fullname)
			}

			spec := deploymentOf(t, r, tt.fullname).Spec.Template.Spec
			if len(spec.InitContainers) != 1 {
				t.Fatalf("init containers: got %d, want 1", len(spec.InitContainers))
			}
			initContainer := findContainer(t, spec.InitContainers, initContainerName)
			if initContainer.Image != tt.wantInitImage {
				t.Errorf("init image %q, want %q", initContainer.Image, tt.wantInitImage)
			}
			if !slices.Equal(initContainer.Command, []string{"/vault-relay"}) {
				t.Errorf("init command %q, want [/vault-relay]", initContainer.Command)
			}
			if !slices.Equal(initContainer.Args, tt.wantArgs) {
				t.Errorf("init args %q, want %q", initContainer.Args, tt.wantArgs)
			}

			env := envOf(initContainer)
			assertSecretRef(t, env, "WORKOS_API_KEY", tt.apiKeySecret, tt.apiKeyKey)
			for name, want := range tt.wantEnv {
				if got := env[name].Value; got != want {
					t.Errorf("init env %s=%q, want %q", name, got, want)
				}
			}

			volume := findVolume(t, spec, configVolumeName)
			if volume.EmptyDir == nil {
				t.Fatalf("volume %s: want an emptyDir, got %+v", configVolumeName, volume.VolumeSource)
			}
			if volume.EmptyDir.Medium != corev1.StorageMediumMemory {
				t.Errorf("emptyDir medium %q, want Memory", volume.EmptyDir.Medium)
			}
			if want := resource.MustParse("1Mi"); volume.EmptyDir.SizeLimit == nil || volume.EmptyDir.SizeLimit.Cmp(want) != 0 {
				t.Errorf("emptyDir sizeLimit %v, want 1Mi", volume.EmptyDir.SizeLimit)
			}

			initMount := findMount(t, initContainer, configVolumeName)
			if initMount.MountPath != "/.relay" || initMount.ReadOnly {
				t.Errorf("init mount %+v, want /.relay read-write", initMount)
			}

			relay := findContainer(t, spec.Containers, relayContainerName)
			relayMount := findMount(t, relay, configVolumeName)
			if relayMount.MountPath != "/.relay" || !relayMount.ReadOnly {
				t.Errorf("relay mount %+v, want /.relay read-only", relayMount)
			}
			if !slices.Equal(relay.Args, []string{"run", "--config", "/.relay"}) {
				t.Errorf("relay args %q, want [run --config /.relay]", relay.Args)
			}
			if len(relay.Env) != 0 {
				t.Errorf("relay env %v: vault mode passes nothing but the config directory", relay.Env)
			}
			if relay.Image != tt.wantRelayImage {
				t.Errorf("relay image %q, want %q", relay.Image, tt.wantRelayImage)
			}
		})
	}
}

func TestVaultOffRendering(t *testing.T) {
	tests := []struct {
		name             string
		credentialSecret string
		wantSecret       bool
	}{
		{name: "vault-off", credentialSecret: relaySecretName, wantSecret: true},
		{name: "existing-relay-secret", credentialSecret: "relay-credentials", wantSecret: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := renderCase(t, tt.name)

			var secret corev1.Secret
			rendered := r.decode(t, "Secret/"+relaySecretName, &secret)
			if rendered != tt.wantSecret {
				t.Fatalf("Secret/%s rendered=%v, want %v; rendered: %v", relaySecretName, rendered, tt.wantSecret, r.objectIDs())
			}
			if tt.wantSecret {
				want := map[string]string{
					"id":         "5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21",
					"public_key": "JOaR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU",
					"secret_key": "OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU",
				}
				if len(secret.Data) != len(want) {
					t.Errorf("secret keys %v, want %v", slices.Sorted(maps.Keys(secret.Data)), slices.Sorted(maps.Keys(want)))
				}
				for key, value := range want {
					if string(secret.Data[key]) != value {
						t.Errorf("secret %s=%q, want %q", key, secret.Data[key], value)
					}
				}
			}

			spec := deploymentOf(t, r, defaultFullname).Spec.Template.Spec
			if len(spec.InitContainers) != 0 {
				t.Errorf("vault off: want no init container, got %d", len(spec.InitContainers))
			}
			relay := findContainer(t, spec.Containers, relayContainerName)
			env := envOf(relay)
			assertSecretRef(t, env, "RELAY_ID", tt.credentialSecret, "id")
			assertSecretRef(t, env, "RELAY_PUBLIC_KEY", tt.credentialSecret, "public_key")
			assertSecretRef(t, env, "RELAY_SECRET_KEY", tt.credentialSecret, "secret_key")
			if !slices.Equal(relay.Args, []string{"run", "--config", "/etc/relay"}) {
				t.Errorf("relay args %q, want [run --config /etc/relay]", relay.Args)
			}

			volume := findVolume(t, spec, configVolumeName)
			if volume.ConfigMap == nil || volume.ConfigMap.Name != defaultFullname {
				t.Errorf("volume %s: want configMap %s, got %+v", configVolumeName, defaultFullname, volume.VolumeSource)
			}
			mount := findMount(t, relay, configVolumeName)
			if mount.MountPath != "/etc/relay" || !mount.ReadOnly {
				t.Errorf("relay mount %+v, want /etc/relay read-only", mount)
			}

			var cm corev1.ConfigMap
			r.mustDecode(t, "ConfigMap/"+defaultFullname, &cm)
			assertRelayConfig(t, cm.Data["config.yml"])
		})
	}
}

// assertRelayConfig checks the config.yml of the vault-off ConfigMap against
// the default values.
func assertRelayConfig(t *testing.T, configYAML string) {
	t.Helper()
	var config struct {
		Relay struct {
			Mode     string `json:"mode"`
			Upstream string `json:"upstream"`
			Host     string `json:"host"`
			Port     int    `json:"port"`
		} `json:"relay"`
		Logging struct {
			Level string `json:"level"`
		} `json:"logging"`
	}
	if err := yaml.UnmarshalStrict([]byte(configYAML), &config); err != nil {
		t.Fatalf("parse config.yml: %v\n%s", err, configYAML)
	}
	if config.Relay.Mode != "managed" || config.Relay.Upstream != "https://sentry.io/" ||
		config.Relay.Host != "0.0.0.0" || config.Relay.Port != 3000 {
		t.Errorf("config.yml relay section %+v, want managed, https://sentry.io/, 0.0.0.0, 3000", config.Relay)
	}
	if config.Logging.Level != "info" {
		t.Errorf("config.yml logging.level %q, want info", config.Logging.Level)
	}
}

func TestPodSecurityRestricted(t *testing.T) {
	for _, name := range caseNames(t) {
		t.Run(name, func(t *testing.T) {
			r := renderCase(t, name)
			deployments := 0
			for _, id := range r.objectIDs() {
				if !strings.HasPrefix(id, "Deployment/") {
					continue
				}
				deployments++
				var d appsv1.Deployment
				r.mustDecode(t, id, &d)
				for _, v := range restrictedViolations(d.Spec.Template.Spec) {
					t.Errorf("%s: %s", id, v)
				}
			}
			if deployments == 0 {
				t.Fatalf("no Deployment rendered; rendered: %v", r.objectIDs())
			}
		})
	}
}

// TestRestrictedCheckFindsViolations makes sure the check above can fail:
// each change to a compliant pod spec must be reported.
func TestRestrictedCheckFindsViolations(t *testing.T) {
	r := renderCase(t, "vault-on")
	base := deploymentOf(t, r, defaultFullname).Spec.Template.Spec
	if v := restrictedViolations(base); len(v) != 0 {
		t.Fatalf("base spec not compliant: %v", v)
	}

	yes, no := true, false
	root := int64(0)
	tests := []struct {
		name   string
		change func(spec *corev1.PodSpec)
		want   string
	}{
		{"host network", func(s *corev1.PodSpec) { s.HostNetwork = true }, "hostNetwork"},
		{"token mounted", func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = nil }, "automountServiceAccountToken"},
		{"hostPath volume", func(s *corev1.PodSpec) {
			s.Volumes = append(s.Volumes, corev1.Volume{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}})
		}, "type hostPath"},
		{"privileged", func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.Privileged = &yes }, "privileged"},
		{"privilege escalation", func(s *corev1.PodSpec) { s.InitContainers[0].SecurityContext.AllowPrivilegeEscalation = &yes }, "allowPrivilegeEscalation"},
		{"writable root", func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.ReadOnlyRootFilesystem = &no }, "readOnlyRootFilesystem"},
		{"runs as root", func(s *corev1.PodSpec) { s.InitContainers[0].SecurityContext.RunAsNonRoot = &no }, "runAsNonRoot"},
		{"uid 0", func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.RunAsUser = &root }, "runAsUser"},
		{"capabilities kept", func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.Capabilities = nil }, "capabilities.drop"},
		{"capability added", func(s *corev1.PodSpec) {
			s.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"}
		}, "NET_ADMIN"},
		{"seccomp unconfined", func(s *corev1.PodSpec) {
			s.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}, "seccompProfile"},
		{"host port", func(s *corev1.PodSpec) { s.Containers[0].Ports[0].HostPort = 3000 }, "hostPort"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := *base.DeepCopy()
			tt.change(&spec)

			violations := restrictedViolations(spec)
			if !slices.ContainsFunc(violations, func(v string) bool { return strings.Contains(v, tt.want) }) {
				t.Errorf("violations %q: want one naming %q", violations, tt.want)
			}
		})
	}
}

// TestLabels checks the recommended labels on every object and the pod
// template, and that the selectors match the pods.
func TestLabels(t *testing.T) {
	for _, name := range caseNames(t) {
		t.Run(name, func(t *testing.T) {
			r := renderCase(t, name)
			for _, m := range r.manifests {
				var object struct {
					Metadata struct {
						Labels map[string]string `json:"labels"`
					} `json:"metadata"`
				}
				if err := yaml.Unmarshal([]byte(m.Content), &object); err != nil {
					t.Fatalf("parse %s: %v", m.Name, err)
				}
				assertChartLabels(t, objectID(m.Head), object.Metadata.Labels)
			}

			fullname := defaultFullname
			if name == "custom-image-resources" {
				fullname = customFullname
			}
			d := deploymentOf(t, r, fullname)
			pod := d.Spec.Template.Labels
			assertChartLabels(t, "pod template", pod)
			selector := map[string]string{
				"app.kubernetes.io/name":      "sentry-relay",
				"app.kubernetes.io/instance":  releaseName,
				"app.kubernetes.io/component": "sentry-relay",
			}
			if !maps.Equal(d.Spec.Selector.MatchLabels, selector) {
				t.Errorf("Deployment selector %v, want %v", d.Spec.Selector.MatchLabels, selector)
			}

			var svc corev1.Service
			r.mustDecode(t, "Service/"+fullname, &svc)
			if !maps.Equal(svc.Spec.Selector, selector) {
				t.Errorf("Service selector %v, want %v", svc.Spec.Selector, selector)
			}
			if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort != intstr.FromString("http") {
				t.Errorf("Service ports %+v, want one port targeting http", svc.Spec.Ports)
			}
		})
	}
}

func assertChartLabels(t *testing.T, where string, labels map[string]string) {
	t.Helper()
	for _, key := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "helm.sh/chart"} {
		if labels[key] == "" {
			t.Errorf("%s: label %s missing", where, key)
		}
	}
	if got := labels["app.kubernetes.io/component"]; got != "sentry-relay" {
		t.Errorf("%s: label app.kubernetes.io/component=%q, want sentry-relay", where, got)
	}
}

func TestProbesAndPorts(t *testing.T) {
	r := renderCase(t, "vault-on")
	relay := findContainer(t, deploymentOf(t, r, defaultFullname).Spec.Template.Spec.Containers, relayContainerName)

	if len(relay.Ports) != 1 || relay.Ports[0].Name != "http" || relay.Ports[0].ContainerPort != 3000 {
		t.Errorf("relay ports %+v, want http on 3000", relay.Ports)
	}
	probes := map[string]*corev1.Probe{
		"/api/relay/healthcheck/live/":  relay.LivenessProbe,
		"/api/relay/healthcheck/ready/": relay.ReadinessProbe,
	}
	for path, probe := range probes {
		if probe == nil || probe.HTTPGet == nil {
			t.Errorf("probe for %s missing or not httpGet", path)
			continue
		}
		if probe.HTTPGet.Path != path || probe.HTTPGet.Port != intstr.FromString("http") {
			t.Errorf("probe GET %s on %s, want %s on http", probe.HTTPGet.Path, probe.HTTPGet.Port.String(), path)
		}
	}
}

func TestPodAnnotations(t *testing.T) {
	tests := []struct {
		name          string
		values        string
		wantObjectVer string
	}{
		{name: "no object version", values: "{}"},
		{name: "object version", values: "relay: {vault: {objectVersion: v42}}", wantObjectVer: "v42"},
		{name: "vault off keeps object version", values: "relay: {vault: {enabled: false, objectVersion: v42}, credentials: {existingSecret: x}}", wantObjectVer: "v42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := renderYAML(t, tt.values)
			if err != nil {
				t.Fatal(err)
			}
			annotations := deploymentOf(t, r, defaultFullname).Spec.Template.Annotations
			if got := annotations["vault-relay.helm.sh/object-version"]; got != tt.wantObjectVer {
				t.Errorf("object-version annotation %q, want %q", got, tt.wantObjectVer)
			}
			if len(annotations["checksum/config"]) != 64 {
				t.Errorf("checksum/config %q, want a sha256 in hex", annotations["checksum/config"])
			}
		})
	}

	t.Run("podAnnotations cannot replace the checksum", func(t *testing.T) {
		r, err := renderYAML(t, "relay: {podAnnotations: {checksum/config: fixed, team: obs}}")
		if err != nil {
			t.Fatal(err)
		}
		annotations := deploymentOf(t, r, defaultFullname).Spec.Template.Annotations
		if annotations["checksum/config"] == "fixed" {
			t.Errorf("podAnnotations replaced checksum/config")
		}
		if annotations["team"] != "obs" {
			t.Errorf("podAnnotations team=%q, want obs", annotations["team"])
		}
	})
}

// TestConfigChecksum checks that every change the running pods cannot see
// changes checksum/config, and that unrelated values leave it alone.
func TestConfigChecksum(t *testing.T) {
	checksum := func(t *testing.T, values string) string {
		t.Helper()
		r, err := renderYAML(t, values)
		if err != nil {
			t.Fatal(err)
		}
		return deploymentOf(t, r, defaultFullname).Spec.Template.Annotations["checksum/config"]
	}
	const vaultOff = "relay: {vault: {enabled: false}, credentials: {id: 5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21, publicKey: JOaR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU, secretKey: OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU}"
	tests := []struct {
		name        string
		base, other string
		wantChange  bool
	}{
		{"vault object name", "{}", "relay: {vault: {vaultSecretName: other}}", true},
		{"vault object version", "{}", "relay: {vault: {objectVersion: v2}}", true},
		{"backend API key", "backend: {secrets: {AUTH_API_KEY: sk_test_a}}", "backend: {secrets: {AUTH_API_KEY: sk_test_b}}", true},
		{"vault mode replicas", "{}", "relay: {replicas: 2}", false},
		{"vault off log level", vaultOff + "}", vaultOff + ", logLevel: debug}", true},
		{"vault off secret key", vaultOff + "}", strings.Replace(vaultOff, "OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1) + "}", true},
		{"vault off replicas", vaultOff + "}", vaultOff + ", replicas: 2}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, other := checksum(t, tt.base), checksum(t, tt.other)
			if changed := base != other; changed != tt.wantChange {
				t.Errorf("checksum changed=%v (%s -> %s), want %v", changed, base, other, tt.wantChange)
			}
		})
	}
}

func TestPodDisruptionBudget(t *testing.T) {
	tests := []struct {
		name   string
		values string
		want   *intstr.IntOrString // nil: no PodDisruptionBudget
		field  string
	}{
		{name: "disabled by default", values: "{}"},
		{name: "min available", values: "relay: {podDisruptionBudget: {enabled: true}}", want: ptr(intstr.FromInt32(1)), field: "minAvailable"},
		{name: "max unavailable wins", values: "relay: {podDisruptionBudget: {enabled: true, maxUnavailable: 25%}}", want: ptr(intstr.FromString("25%")), field: "maxUnavailable"},
		{name: "max unavailable zero", values: "relay: {podDisruptionBudget: {enabled: true, maxUnavailable: 0}}", want: ptr(intstr.FromInt32(0)), field: "maxUnavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := renderYAML(t, tt.values)
			if err != nil {
				t.Fatal(err)
			}
			var pdb policyv1.PodDisruptionBudget
			found := r.decode(t, "PodDisruptionBudget/"+defaultFullname, &pdb)
			if found != (tt.want != nil) {
				t.Fatalf("PodDisruptionBudget rendered=%v, want %v", found, tt.want != nil)
			}
			if !found {
				return
			}

			got, other := pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable
			if tt.field == "maxUnavailable" {
				got, other = other, got
			}
			if got == nil || *got != *tt.want {
				t.Errorf("%s %v, want %v", tt.field, got, tt.want)
			}
			if other != nil {
				t.Errorf("both minAvailable and maxUnavailable set: %v and %v", pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable)
			}
			if !maps.Equal(pdb.Spec.Selector.MatchLabels, deploymentOf(t, r, defaultFullname).Spec.Selector.MatchLabels) {
				t.Errorf("PodDisruptionBudget selector %v differs from the Deployment's", pdb.Spec.Selector.MatchLabels)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestRelayDisabled(t *testing.T) {
	tests := []struct {
		name   string
		values string
		want   []string
	}{
		{name: "nothing", values: "relay: {enabled: false}", want: []string{}},
		{name: "backend secret only", values: "relay: {enabled: false}\nbackend: {secrets: {AUTH_API_KEY: sk_test_x}}", want: []string{"Secret/" + backendSecretName}},
		{name: "vault off without credentials", values: "relay: {enabled: false, vault: {enabled: false}}", want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := renderYAML(t, tt.values)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.objectIDs(); !slices.Equal(got, tt.want) {
				t.Errorf("rendered %v, want %v", got, tt.want)
			}
			if !strings.Contains(r.notes, "relay.enabled is false") {
				t.Errorf("NOTES.txt does not say Relay is disabled:\n%s", r.notes)
			}
		})
	}
}

func TestBackendSecret(t *testing.T) {
	r := renderCase(t, "custom-image-resources")
	var secret corev1.Secret
	r.mustDecode(t, "Secret/"+backendSecretName, &secret)
	want := map[string]string{
		"AUTH_API_KEY": "sk_test_chart_ci_fake_key_not_a_real_key",
		"SENTRY_DSN":   "https://0123456789abcdef0123456789abcdef@o1.ingest.example.test/42",
	}
	if len(secret.Data) != len(want) {
		t.Errorf("backend secret keys %v, want %v", slices.Sorted(maps.Keys(secret.Data)), slices.Sorted(maps.Keys(want)))
	}
	for key, value := range want {
		if string(secret.Data[key]) != value {
			t.Errorf("backend secret %s=%q, want %q", key, secret.Data[key], value)
		}
	}

	existing := renderCase(t, "existing-secrets")
	for _, id := range existing.objectIDs() {
		if strings.HasPrefix(id, "Secret/") {
			t.Errorf("existing-secrets rendered %s, want no Secret", id)
		}
	}
}

func TestNotes(t *testing.T) {
	tests := []struct {
		name     string
		want     []string
		unwanted []string
	}{
		{
			name: "vault-on",
			want: []string{
				"kubectl logs -n relay deploy/sentry-sentry-relay -c fetch-credentials",
				"credentials not available; Relay will start in proxy mode without credentials",
				`"reason"`,
				"proxy mode",
				"kubectl get pods -n relay -l app.kubernetes.io/instance=sentry,app.kubernetes.io/component=sentry-relay",
				"kubectl rollout restart -n relay deploy/sentry-sentry-relay",
			},
			unwanted: []string{"CreateContainerConfigError"},
		},
		{
			name: "existing-secrets",
			want: []string{"Secret workos-api", "CreateContainerConfigError", "key api-key"},
		},
		{
			name:     "custom-image-resources",
			want:     []string{"kubectl logs -n relay deploy/relay-edge -c fetch-credentials", "relay.vault.strict is true"},
			unwanted: []string{"Relay will start in proxy mode"},
		},
		{
			name:     "vault-off",
			want:     []string{"Secret\nsentry-relay-secret", "managed mode"},
			unwanted: []string{"fetch-credentials"},
		},
		{
			name: "existing-relay-secret",
			want: []string{"relay-credentials", "does not manage"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			notes := renderCase(t, tt.name).notes
			for _, want := range tt.want {
				if !strings.Contains(notes, want) {
					t.Errorf("NOTES.txt lacks %q:\n%s", want, notes)
				}
			}
			for _, unwanted := range tt.unwanted {
				if strings.Contains(notes, unwanted) {
					t.Errorf("NOTES.txt contains %q:\n%s", unwanted, notes)
				}
			}
		})
	}
}

// TestDSNWithoutAPIKeyWhenVaultDisabled renders what `vault-relay values`
// produces for a document with a sentry_dsn: the vault disabled, inline
// credentials and only the DSN in the backend Secret.
func TestDSNWithoutAPIKeyWhenVaultDisabled(t *testing.T) {
	out, err := renderYAML(t, `
relay:
  vault: {enabled: false}
  credentials:
    id: 5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21
    publicKey: JOaR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU
    secretKey: OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU
backend:
  secrets:
    SENTRY_DSN: https://0123456789abcdef@o1.ingest.example.test/42
`)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	var secret corev1.Secret
	out.mustDecode(t, "Secret/backend-secret", &secret)
	if _, ok := secret.Data["AUTH_API_KEY"]; ok {
		t.Error("backend Secret has an AUTH_API_KEY key although none was given")
	}
	if string(secret.Data["SENTRY_DSN"]) != "https://0123456789abcdef@o1.ingest.example.test/42" {
		t.Errorf("backend Secret SENTRY_DSN = %q", secret.Data["SENTRY_DSN"])
	}
}

func TestStartJitterReachesInitContainer(t *testing.T) {
	for _, tt := range []struct {
		values string
		want   string
	}{
		{"{}", ""},
		{"relay: {vault: {startJitter: 12s}}", "12s"},
	} {
		r, err := renderYAML(t, tt.values)
		if err != nil {
			t.Fatal(err)
		}
		spec := deploymentOf(t, r, defaultFullname).Spec.Template.Spec
		env := envOf(findContainer(t, spec.InitContainers, "fetch-credentials"))
		if got := env["VAULT_RELAY_START_JITTER"].Value; got != tt.want {
			t.Errorf("values %s: VAULT_RELAY_START_JITTER = %q, want %q", tt.values, got, tt.want)
		}
	}
}
