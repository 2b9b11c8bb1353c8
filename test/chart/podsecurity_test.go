package chart

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// restrictedVolumeTypes are the volume sources Pod Security "restricted"
// allows (Kubernetes Pod Security Standards, restricted profile, "Volume
// Types").
var restrictedVolumeTypes = []string{
	"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
	"persistentVolumeClaim", "projected", "secret",
}

// restrictedViolations checks spec against the Pod Security Standards
// "restricted" profile as of Kubernetes 1.25, plus two rules of this chart:
// every container has a read-only root filesystem and the pod mounts no
// service account token. It returns one message per violation, naming the
// container or volume.
//
// NOTE: The check requires AppArmor, SELinux options, /proc mount type and
// sysctls to be unset, because the chart sets none of them. It so reports
// values that "restricted" allows there, too.
func restrictedViolations(spec corev1.PodSpec) []string {
	var violations []string
	report := func(format string, args ...any) {
		violations = append(violations, fmt.Sprintf(format, args...))
	}

	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		report("pod: hostNetwork, hostPID and hostIPC must be false")
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		report("pod: automountServiceAccountToken must be false")
	}
	pod := spec.SecurityContext
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	if pod.RunAsUser != nil && *pod.RunAsUser == 0 {
		report("pod: runAsUser must not be 0")
	}
	if pod.SELinuxOptions != nil || pod.AppArmorProfile != nil || len(pod.Sysctls) > 0 {
		report("pod: seLinuxOptions, appArmorProfile and sysctls must be unset")
	}
	podSeccompOK := pod.SeccompProfile != nil && allowedSeccomp(pod.SeccompProfile.Type)
	if pod.SeccompProfile != nil && !podSeccompOK {
		report("pod: seccompProfile.type %q must be RuntimeDefault or Localhost", pod.SeccompProfile.Type)
	}

	for _, volume := range spec.Volumes {
		if kind := volumeType(volume.VolumeSource); !slices.Contains(restrictedVolumeTypes, kind) {
			report("volume %s: type %s is not allowed", volume.Name, kind)
		}
	}

	containers := append(slices.Clone(spec.InitContainers), spec.Containers...)
	for _, c := range containers {
		violations = append(violations, containerViolations(c, pod, podSeccompOK)...)
	}
	for _, c := range spec.EphemeralContainers {
		violations = append(violations, fmt.Sprintf("container %s: ephemeral containers are not expected", c.Name))
	}
	return violations
}

func containerViolations(c corev1.Container, pod *corev1.PodSecurityContext, podSeccompOK bool) []string {
	var violations []string
	report := func(format string, args ...any) {
		violations = append(violations, fmt.Sprintf("container %s: "+format, append([]any{c.Name}, args...)...))
	}

	for _, port := range c.Ports {
		if port.HostPort != 0 {
			report("hostPort %d must be unset", port.HostPort)
		}
	}
	sc := c.SecurityContext
	if sc == nil {
		report("securityContext missing")
		return violations
	}

	if sc.Privileged != nil && *sc.Privileged {
		report("privileged must be false")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		report("allowPrivilegeEscalation must be false")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		report("readOnlyRootFilesystem must be true")
	}

	runAsNonRoot := pod.RunAsNonRoot
	if sc.RunAsNonRoot != nil {
		runAsNonRoot = sc.RunAsNonRoot
	}
	if runAsNonRoot == nil || !*runAsNonRoot {
		report("runAsNonRoot must be true (in the container or the pod)")
	}
	if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		report("runAsUser must not be 0")
	}

	switch {
	case sc.SeccompProfile != nil && !allowedSeccomp(sc.SeccompProfile.Type):
		report("seccompProfile.type %q must be RuntimeDefault or Localhost", sc.SeccompProfile.Type)
	case sc.SeccompProfile == nil && !podSeccompOK:
		report("seccompProfile must be RuntimeDefault or Localhost (in the container or the pod)")
	}

	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		report(`capabilities.drop must contain "ALL"`)
	}
	if sc.Capabilities != nil {
		for _, added := range sc.Capabilities.Add {
			if added != "NET_BIND_SERVICE" {
				report("capability %s must not be added", added)
			}
		}
	}
	if sc.SELinuxOptions != nil || sc.AppArmorProfile != nil || sc.ProcMount != nil {
		report("seLinuxOptions, appArmorProfile and procMount must be unset")
	}
	return violations
}

func allowedSeccomp(t corev1.SeccompProfileType) bool {
	return t == corev1.SeccompProfileTypeRuntimeDefault || t == corev1.SeccompProfileTypeLocalhost
}

// volumeType names the source a volume uses, as the field name in
// corev1.VolumeSource.
func volumeType(v corev1.VolumeSource) string {
	sources := []struct {
		name string
		set  bool
	}{
		{"configMap", v.ConfigMap != nil},
		{"csi", v.CSI != nil},
		{"downwardAPI", v.DownwardAPI != nil},
		{"emptyDir", v.EmptyDir != nil},
		{"ephemeral", v.Ephemeral != nil},
		{"persistentVolumeClaim", v.PersistentVolumeClaim != nil},
		{"projected", v.Projected != nil},
		{"secret", v.Secret != nil},
		{"hostPath", v.HostPath != nil},
	}
	for _, s := range sources {
		if s.set {
			return s.name
		}
	}
	return "other"
}
