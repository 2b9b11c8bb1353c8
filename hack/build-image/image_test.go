package main

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// maxImageBytes is the size budget of the uncompressed image.
const maxImageBytes = 12 << 20

func TestBuiltImage(t *testing.T) {
	out := t.TempDir()
	opts := options{outDir: out, platforms: "linux/" + runtime.GOARCH, version: "9.9.9-test", repository: defaultRepository}
	if err := build(opts); err != nil {
		t.Fatal(err)
	}

	index, err := layout.ImageIndexFromPath(filepath.Join(out, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(manifest.Manifests) != 1 || manifest.Manifests[0].Platform.Architecture != runtime.GOARCH {
		t.Fatalf("index manifests = %+v, want one for linux/%s", manifest.Manifests, runtime.GOARCH)
	}
	img, err := index.Image(manifest.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}

	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532:65532" {
		t.Errorf("user = %q, want 65532:65532", cfg.Config.User)
	}
	if !slices.Equal(cfg.Config.Entrypoint, []string{"/vault-relay", "fetch"}) {
		t.Errorf("entrypoint = %q, want [/vault-relay fetch]", cfg.Config.Entrypoint)
	}
	if cfg.Config.Labels["org.opencontainers.image.version"] != "9.9.9-test" {
		t.Errorf("version label = %q", cfg.Config.Labels["org.opencontainers.image.version"])
	}

	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("layers = %d, want 1", len(layers))
	}
	files, size := readLayer(t, layers[0], filepath.Join(out, "extracted"))
	if !slices.Equal(files, []string{"vault-relay 755"}) {
		t.Errorf("layer files = %v, want only vault-relay with mode 755", files)
	}
	if size > maxImageBytes {
		t.Errorf("uncompressed image = %d bytes, budget %d", size, maxImageBytes)
	}
	t.Logf("uncompressed layer: %.2f MiB", float64(size)/(1<<20))

	version, err := exec.Command(filepath.Join(out, "extracted"), "version").Output()
	if err != nil {
		t.Fatalf("run the binary from the layer: %v", err)
	}
	if strings.TrimSpace(string(version)) != "9.9.9-test" {
		t.Errorf("binary in the layer reports version %q, want 9.9.9-test", version)
	}
	help, _ := exec.Command(filepath.Join(out, "extracted"), "--help").Output()
	if !strings.Contains(string(help), "fetch") || strings.Contains(string(help), "post-render") {
		t.Errorf("the image's binary should offer fetch and leave out post-render; its help:\n%s", help)
	}

	if runtime.GOARCH == "amd64" {
		dockerImage, err := tarball.ImageFromPath(filepath.Join(out, "vault-relay.tar"), nil)
		if err != nil {
			t.Fatalf("open the docker tarball: %v", err)
		}
		dockerDigest, _ := dockerImage.ConfigName()
		ociDigest, _ := img.ConfigName()
		if dockerDigest != ociDigest {
			t.Errorf("docker tarball config %s differs from the OCI image's %s", dockerDigest, ociDigest)
		}
	}
}

func TestImageIsReproducible(t *testing.T) {
	dir := t.TempDir()
	binary := filepath.Join(dir, "vault-relay")
	if err := buildBinary(runtime.GOARCH, "1.0.0", binary); err != nil {
		t.Fatal(err)
	}
	first, err := newImage(binary, runtime.GOARCH, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	second, err := newImage(binary, runtime.GOARCH, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := first.Digest()
	b, _ := second.Digest()
	if a != b {
		t.Errorf("two builds of one binary have digests %s and %s", a, b)
	}
}

// TestDockerfileMatchesImage keeps the Dockerfile, which cannot be built
// here, in step with the image build-image produces.
func TestDockerfileMatchesImage(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := string(data)

	final := dockerfile[strings.LastIndex(dockerfile, "\nFROM "):]
	checks := map[string]*regexp.Regexp{
		"final stage from scratch": regexp.MustCompile(`(?m)^FROM scratch$`),
		"user " + imageUser:        regexp.MustCompile(`(?m)^USER ` + regexp.QuoteMeta(imageUser) + `$`),
		"entrypoint":               regexp.MustCompile(`(?m)^ENTRYPOINT \["/vault-relay", "fetch"\]$`),
		"binary at " + binaryPath:  regexp.MustCompile(`(?m)^COPY .* /vault-relay ` + regexp.QuoteMeta(binaryPath) + `$`),
		"static build":             regexp.MustCompile(`CGO_ENABLED=0 go build -trimpath -buildvcs=false -tags ` + buildTags),
	}
	for name, re := range checks {
		target := final
		if name == "static build" {
			target = dockerfile
		}
		if !re.MatchString(target) {
			t.Errorf("Dockerfile lacks %s (%s)", name, re)
		}
	}
	if n := strings.Count(final, "\nCOPY "); n != 1 {
		t.Errorf("final stage copies %d things, want only the binary", n)
	}
}

// readLayer lists "name mode" for every entry of the layer, extracts the
// vault-relay binary to binaryOut and returns the uncompressed byte count.
func readLayer(t *testing.T, layer interface {
	Uncompressed() (io.ReadCloser, error)
}, binaryOut string) ([]string, int64) {
	t.Helper()
	rc, err := layer.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()

	var files []string
	var size int64
	tr := tar.NewReader(rc)
	for {
		header, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fmt.Sprintf("%s %o", header.Name, header.Mode))
		size += header.Size
		if header.Name == "vault-relay" {
			f, err := os.OpenFile(binaryOut, os.O_CREATE|os.O_WRONLY, 0o755)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				t.Fatal(err)
			}
			_ = f.Close()
		}
	}
	return files, size
}
