// Command bench-postrender measures `vault-relay post-render` side by side
// with kustomize and yq, all three applying the same patch to the same
// generated Helm 3 manifest streams. The patch adds an init container, a
// volume, a volume mount and arguments to the one Relay Deployment among
// hundreds or thousands of other documents. The command prints Markdown
// tables for BENCHMARKS.md.
//
// kustomize and yq are built by hack/bench-postrender/install-tools.sh into
// BENCH_TOOLS_DIR (default .cache/bench-tools). Run it from the repository
// root.
//
// Usage:
//
//	go run ./hack/bench-postrender [-small-runs 30] [-large-runs 10]
//	go run ./hack/bench-postrender -generate 5000 > stream.yaml
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// seed makes every run measure the same streams.
const seed = 20251001

// Stream sizes in documents.
const (
	smallDocuments = 500
	largeDocuments = 5000
)

func main() {
	smallRuns := flag.Int("small-runs", 30, "measured runs per tool on the 500-document stream, after one checked warm-up run")
	largeRuns := flag.Int("large-runs", 10, "measured runs per tool on the 5,000-document stream, after one checked warm-up run")
	generate := flag.Int("generate", 0, "write a stream of this many documents to stdout and exit, measuring nothing")
	flag.Parse()

	if *generate > 0 {
		if _, err := os.Stdout.Write(generateStream(*generate, seed)); err != nil {
			fmt.Fprintln(os.Stderr, "bench-postrender:", err)
			os.Exit(1)
		}
		return
	}
	if *smallRuns < 1 || *largeRuns < 1 {
		fmt.Fprintln(os.Stderr, "bench-postrender: -small-runs and -large-runs must be at least 1")
		os.Exit(2)
	}
	if err := run(*smallRuns, *largeRuns); err != nil {
		fmt.Fprintln(os.Stderr, "bench-postrender:", err)
		os.Exit(1)
	}
}

func run(smallRuns, largeRuns int) error {
	work, err := os.MkdirTemp(os.Getenv("BENCH_DIR"), "bench-postrender-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()

	tools, err := setUpTools(work)
	if err != nil {
		return err
	}
	p, err := derivePatch(tools.vaultRelay, work)
	if err != nil {
		return err
	}

	sizes := []*streamSize{
		{documents: smallDocuments, runs: smallRuns},
		{documents: largeDocuments, runs: largeRuns},
	}
	for _, size := range sizes {
		size.dir = filepath.Join(work, fmt.Sprintf("docs-%d", size.documents))
		size.input = generateStream(size.documents, seed)
		if err := writeInputs(size.dir, size.input, p); err != nil {
			return err
		}
	}

	b := newBench(work, tools, sizes, p)
	if err := b.warmUp(); err != nil {
		return err
	}
	if err := b.measure(); err != nil {
		return err
	}
	b.report(os.Stdout)
	return nil
}
