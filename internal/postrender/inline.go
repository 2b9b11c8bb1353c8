package postrender

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
)

// Annotations ModeInline puts on what it adds.
const (
	// GeneratedAnnotation marks the Secret this package adds, so a second
	// run replaces it instead of adding another.
	GeneratedAnnotation = "vault-relay.helm.sh/generated"
	// ChecksumAnnotation on the pod template changes with the credentials,
	// so new credentials roll the pods.
	ChecksumAnnotation = "vault-relay.helm.sh/credentials-checksum"
	// VersionAnnotation on the pod template holds the Vault object's
	// version, when the API reports one.
	VersionAnnotation = "vault-relay.helm.sh/object-version"
	// HelmFilenameAnnotation is what Helm 4 uses to split a post-renderer's
	// output back into templates; every document must keep it.
	HelmFilenameAnnotation = "postrenderer.helm.sh/postrender-filename"
)

// Inline configures ModeInline.
type Inline struct {
	Credentials credentials.Credentials
	VersionID   string // Vault object version; empty when unknown
	SecretName  string // name of the Secret to add
}

// checksum identifies the credentials without revealing them: the secret
// key is 32 random bytes, so its hash cannot be reversed by guessing.
func (in Inline) checksum() string {
	sum := sha256.Sum256([]byte(in.Credentials.ID + "\x00" + in.Credentials.PublicKey + "\x00" + in.Credentials.SecretKey.Reveal()))
	return hex.EncodeToString(sum[:])
}

// apply points Relay's RELAY_ID, RELAY_PUBLIC_KEY and RELAY_SECRET_KEY at
// the Secret and annotates the pod template.
func (in Inline) apply(w *workload) error {
	for _, env := range []struct{ name, key string }{
		{"RELAY_ID", "id"},
		{"RELAY_PUBLIC_KEY", "public_key"},
		{"RELAY_SECRET_KEY", "secret_key"},
	} {
		node, err := toRNode(envVar{Name: env.name, ValueFrom: &valueFrom{SecretKeyRef: secretKeyRef{Name: in.SecretName, Key: env.key}}})
		if err != nil {
			return err
		}
		if err := setElement(w.container, "env", node, env.name); err != nil {
			return err
		}
	}

	if err := w.template.PipeE(yaml.SetAnnotation(ChecksumAnnotation, in.checksum())); err != nil {
		return err
	}
	if in.VersionID == "" {
		return nil
	}
	return w.template.PipeE(yaml.SetAnnotation(VersionAnnotation, in.VersionID))
}

// secretManifest is the Secret ModeInline adds, in kubectl's field order.
type secretManifest struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   secretMetadata    `yaml:"metadata"`
	Type       string            `yaml:"type"`
	Data       map[string]string `yaml:"data"`
}

type secretMetadata struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace,omitempty"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// secret returns the Secret holding the credentials, in namespace (empty
// for the release's), carrying Helm 4's filename annotation when the
// workload it serves has one.
func (in Inline) secret(namespace, helmFilename string) (*yaml.RNode, error) {
	annotations := map[string]string{GeneratedAnnotation: "true"}
	if helmFilename != "" {
		annotations[HelmFilenameAnnotation] = helmFilename
	}
	encode := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	return toRNode(secretManifest{
		APIVersion: "v1",
		Kind:       "Secret",
		Metadata: secretMetadata{
			Name:        in.SecretName,
			Namespace:   namespace,
			Labels:      map[string]string{ComponentLabel: ComponentValue},
			Annotations: annotations,
		},
		Type: "Opaque",
		Data: map[string]string{
			"id":         encode(in.Credentials.ID),
			"public_key": encode(in.Credentials.PublicKey),
			"secret_key": encode(in.Credentials.SecretKey.Reveal()),
		},
	})
}

// isGeneratedSecret reports whether node is a Secret an earlier run added.
func (in Inline) isGeneratedSecret(node *yaml.RNode) bool {
	return node.GetKind() == "Secret" && node.GetName() == in.SecretName && node.GetAnnotations()[GeneratedAnnotation] == "true"
}
