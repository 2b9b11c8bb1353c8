package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image settings, shared with the Dockerfile (a test checks they agree).
const (
	defaultRepository = "ghcr.io/helm-vault-relay/vault-relay"
	binaryPath        = "/vault-relay"
	imageUser         = "65532:65532"
)

// buildTags leave the post-renderer, and the kyaml, OpenAPI and protobuf
// packages it links, out of the image's binary: their initialisation would
// slow every relay pod start, and the init container never post-renders.
const buildTags = "initonly"

// entrypoint runs the init-container command; the chart passes its flags
// as args.
var entrypoint = []string{binaryPath, "fetch"}

// epoch is the timestamp of every file and of the image, so the same binary
// always gives the same digest.
var epoch = time.Unix(0, 0).UTC()

func build(opts options) error {
	work, err := os.MkdirTemp("", "build-image-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()

	index := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var amd64 v1.Image
	for _, platform := range opts.platformList() {
		osName, arch, ok := strings.Cut(platform, "/")
		if !ok || osName != "linux" {
			return fmt.Errorf("invalid platform %q: expected linux/ARCH", platform)
		}
		binary := filepath.Join(work, "vault-relay-"+arch)
		if err := buildBinary(arch, opts.version, binary); err != nil {
			return err
		}
		img, err := newImage(binary, arch, opts.version)
		if err != nil {
			return err
		}
		index = mutate.AppendManifests(index, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: osName, Architecture: arch}},
		})
		if arch == "amd64" {
			amd64 = img
		}
	}

	ociDir := filepath.Join(opts.outDir, "oci")
	if err := os.RemoveAll(ociDir); err != nil {
		return err
	}
	if _, err := layout.Write(ociDir, index); err != nil {
		return fmt.Errorf("write OCI layout %s: %w", ociDir, err)
	}
	fmt.Fprintln(os.Stderr, "wrote OCI layout", ociDir)

	if amd64 != nil {
		tag, err := name.NewTag(opts.repository + ":" + opts.version)
		if err != nil {
			return fmt.Errorf("invalid image tag: %w", err)
		}
		tarPath := filepath.Join(opts.outDir, "vault-relay.tar")
		if err := tarball.WriteToFile(tarPath, tag, amd64); err != nil {
			return fmt.Errorf("write image tarball %s: %w", tarPath, err)
		}
		fmt.Fprintln(os.Stderr, "wrote docker tarball", tarPath, "as", tag)
	}
	return nil
}

// buildBinary compiles a static vault-relay for linux/arch.
func buildBinary(arch, version, out string) error {
	ldflags := "-s -w -X github.com/helm-vault-relay/helm-vault-relay/internal/version.Version=" + version
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-tags", buildTags, "-ldflags", ldflags, "-o", out, "./cmd/vault-relay")
	cmd.Dir = repoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build vault-relay for linux/%s: %w\n%s", arch, err, output)
	}
	return nil
}

// newImage assembles the image: one layer holding only the binary.
func newImage(binary, arch, version string) (v1.Image, error) {
	layerTar, err := binaryLayer(binary)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("create layer: %w", err)
	}

	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		return nil, fmt.Errorf("append layer: %w", err)
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", arch
	cfg.Config.User = imageUser
	cfg.Config.Entrypoint = entrypoint
	cfg.Config.Cmd = nil
	cfg.Config.WorkingDir = "/"
	cfg.Config.Labels = map[string]string{
		"org.opencontainers.image.title":       "vault-relay",
		"org.opencontainers.image.description": "Init container that fetches Sentry Relay credentials from WorkOS Vault",
		"org.opencontainers.image.version":     version,
	}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return nil, err
	}
	return mutate.CreatedAt(img, v1.Time{Time: epoch})
}

// binaryLayer returns an uncompressed tar holding the binary as
// /vault-relay, owned by root and executable by everyone, so the non-root
// user can run it but not replace it.
func binaryLayer(binary string) ([]byte, error) {
	data, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	header := &tar.Header{
		Name:     strings.TrimPrefix(binaryPath, "/"),
		Mode:     0o755,
		Size:     int64(len(data)),
		ModTime:  epoch,
		Typeflag: tar.TypeReg,
		Format:   tar.FormatPAX,
	}
	if err := tw.WriteHeader(header); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// repoRoot is the module root: build-image runs from it with `go run`, and
// its test runs in hack/build-image.
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	return dir
}
