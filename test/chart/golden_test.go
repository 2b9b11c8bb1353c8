package chart

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden from the current chart")

const goldenDir = "testdata/golden"

func goldenPath(name string) string {
	return filepath.Join(goldenDir, name+".yaml")
}

// TestGolden renders every ci/ case and compares the manifests byte for byte
// with testdata/golden/<case>.yaml.
func TestGolden(t *testing.T) {
	for _, name := range caseNames(t) {
		t.Run(name, func(t *testing.T) {
			got := []byte(renderCase(t, name).stream())
			path := goldenPath(name)

			if *update {
				writeFile(t, path, got)
				return
			}
			want, err := os.ReadFile(path)
			if errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("golden file %s missing: run `go test ./test/chart -update` and review it", path)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("render of ci/%s%s differs from %s; if the change is intended, run `go test ./test/chart -update`\n%s",
					name, caseValuesSuffix, path, lineDiff(string(want), string(got)))
			}
		})
	}
}

// TestGoldenNoOrphans fails when a golden file has no ci/ values file left,
// which happens when a case is renamed or removed.
func TestGoldenNoOrphans(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(goldenDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := caseNames(t)
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".yaml")
		if !slices.Contains(cases, name) {
			t.Errorf("golden file %s has no values file ci/%s%s: remove it or restore the case", p, name, caseValuesSuffix)
		}
	}
}

// lineDiff shows the first lines where want and got differ, with a few lines
// of context, enough to find the change without a diff tool.
func lineDiff(want, got string) string {
	wantLines := strings.Split(want, "\n")
	gotLines := strings.Split(got, "\n")

	first := 0
	for first < len(wantLines) && first < len(gotLines) && wantLines[first] == gotLines[first] {
		first++
	}
	const contextLines, shownLines = 3, 12
	start := max(first-contextLines, 0)

	var b strings.Builder
	b.WriteString("first difference at line " + strconv.Itoa(first+1) + "\n--- want\n")
	for i := start; i < min(first+shownLines, len(wantLines)); i++ {
		b.WriteString("  " + wantLines[i] + "\n")
	}
	b.WriteString("+++ got\n")
	for i := start; i < min(first+shownLines, len(gotLines)); i++ {
		b.WriteString("  " + gotLines[i] + "\n")
	}
	return b.String()
}
