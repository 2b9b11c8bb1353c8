package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"
)

// Targets the report checks for vault-relay.
const (
	maxScaling     = 11.0 // time for 10× the documents, as a multiple
	maxRSSPerInput = 4.0  // peak RSS as a multiple of the input size
)

// Names of the tools the targets compare.
const (
	vaultRelayName = "vault-relay post-render"
	yqName         = "yq eval-all"
)

const (
	bytesPerMiB     = 1 << 20
	bytesPerKiB     = 1 << 10
	kibibytesPerMiB = 1 << 10
)

func (b *bench) report(w io.Writer) {
	small, large := b.sizes[0], b.sizes[len(b.sizes)-1]
	fmt.Fprintf(w, "%d CPUs (%s), %s/%s, %s; kustomize %s; %s\n", runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH, runtime.Version(), b.kustomizeVersion, b.yqVersion)
	fmt.Fprintf(w, "%d runs on %d documents and %d on %d, interleaved, after one checked warm-up run each\n\n", small.runs, small.documents, large.runs, large.documents)

	fmt.Fprintln(w, "| tool | documents | input | median | min | peak RSS | peak RSS / input |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, s := range b.series {
		if s.tool.baseline {
			fmt.Fprintf(w, "| %s | – | – | %s | %s | %s | – |\n", s.tool.name, formatDuration(s.median()), formatDuration(s.min()), formatKiB(s.peakRSSKiB))
			continue
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %.1f× |\n", s.tool.name, s.size.documents, formatBytes(len(s.size.input)),
			formatDuration(s.median()), formatDuration(s.min()), formatKiB(s.peakRSSKiB), s.rssPerInput())
	}

	fmt.Fprintf(w, "\n| tool | median %d / median %d |\n|---|---|\n", large.documents, small.documents)
	for _, s := range b.series {
		if s.size != small || s.tool.baseline {
			continue
		}
		fmt.Fprintf(w, "| %s | %.1f× |\n", s.tool.name, b.scaling(s.tool.name))
	}

	b.reportTargets(w)
}

// reportTargets prints whether vault-relay meets its three targets.
func (b *bench) reportTargets(w io.Writer) {
	large := b.sizes[len(b.sizes)-1]
	vaultRelay := b.find(vaultRelayName, large)
	yq := b.find(yqName, large)
	var baseline *series
	for _, s := range b.series {
		if s.tool.baseline {
			baseline = s
		}
	}

	fmt.Fprintln(w, "\n| target | result |\n|---|---|")
	faster := float64(yq.median()) / float64(vaultRelay.median())
	fmt.Fprintf(w, "| faster than yq at %d documents | %s: %s against %s, %.1f× |\n", large.documents,
		metOrNot(faster > 1), formatDuration(vaultRelay.median()), formatDuration(yq.median()), faster)
	scaling := b.scaling(vaultRelayName)
	fmt.Fprintf(w, "| 10× the documents in ≤ %.0f× the time | %s: %.1f× |\n", maxScaling, metOrNot(scaling <= maxScaling), scaling)
	aboveBaseline := float64(vaultRelay.peakRSSKiB-baseline.peakRSSKiB) * bytesPerKiB / float64(len(large.input))
	fmt.Fprintf(w, "| peak RSS ≤ %.0f× the input at %d documents | %s: %s for %s, %.1f×; %.1f× above the %s baseline |\n",
		maxRSSPerInput, large.documents, metOrNot(vaultRelay.rssPerInput() <= maxRSSPerInput), formatKiB(vaultRelay.peakRSSKiB),
		formatBytes(len(large.input)), vaultRelay.rssPerInput(), aboveBaseline, formatKiB(baseline.peakRSSKiB))
}

func (b *bench) find(name string, size *streamSize) *series {
	for _, s := range b.series {
		if s.tool.name == name && s.size == size {
			return s
		}
	}
	panic("no series " + name)
}

// scaling returns a tool's median on the largest stream over its median
// on the smallest.
func (b *bench) scaling(name string) float64 {
	small, large := b.sizes[0], b.sizes[len(b.sizes)-1]
	return float64(b.find(name, large).median()) / float64(b.find(name, small).median())
}

func (s *series) median() time.Duration {
	walls := slices.Clone(s.walls)
	slices.Sort(walls)
	return walls[len(walls)/2]
}

func (s *series) min() time.Duration { return slices.Min(s.walls) }

func (s *series) rssPerInput() float64 {
	return float64(s.peakRSSKiB) * bytesPerKiB / float64(len(s.size.input))
}

func metOrNot(met bool) string {
	if met {
		return "met"
	}
	return "not met"
}

func formatDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func formatKiB(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/kibibytesPerMiB) }

func formatBytes(n int) string {
	if n < bytesPerMiB {
		return fmt.Sprintf("%.0f KiB", float64(n)/bytesPerKiB)
	}
	return fmt.Sprintf("%.2f MiB", float64(n)/bytesPerMiB)
}
