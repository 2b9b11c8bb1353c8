// Command build-image builds the init-container image without a container
// daemon: the static vault-relay binary in one layer and nothing else (CA
// roots are compiled into the binary), user 65532, entrypoint
// `/vault-relay fetch`. It writes an OCI image layout with one image per
// platform and, for `docker load`, a tarball of the linux/amd64 image.
//
// Usage: go run ./hack/build-image [-out .cache/image] [-platforms linux/amd64,linux/arm64]
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	var opts options
	flag.StringVar(&opts.outDir, "out", ".cache/image", "directory for the OCI layout (oci/) and the docker tarball (vault-relay.tar)")
	flag.StringVar(&opts.platforms, "platforms", "linux/amd64,linux/arm64", "comma-separated os/arch list to build")
	flag.StringVar(&opts.version, "version", "0.1.0", "version stamped into the binary and the image tag")
	flag.StringVar(&opts.repository, "repository", defaultRepository, "image repository the tarball is tagged with")
	flag.Parse()

	if err := build(opts); err != nil {
		fmt.Fprintln(os.Stderr, "build-image:", err)
		os.Exit(1)
	}
}

// options are the flags of build-image.
type options struct {
	outDir     string
	platforms  string
	version    string
	repository string
}

func (o options) platformList() []string { return strings.Split(o.platforms, ",") }
