// Command bench-fetch measures `vault-relay fetch` end to end, from exec
// until both files are written, against a fake WorkOS Vault on loopback,
// side by side in one run with the same fetch done by curl and jq
// (fetch.sh). It prints a Markdown table for BENCHMARKS.md.
//
// Usage: go run ./hack/bench-fetch [-runs 200]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/internal/workos/fake"
)

const apiKey = "sk_test_bench_fetch"

// sample is one measured process run.
type sample struct {
	wall time.Duration
}

// contender is one way of doing the fetch.
type contender struct {
	name     string
	baseline bool // writes no files
	command  func(out string) *exec.Cmd
	samples  []sample
	peakRSSK int64 // max over 20 runs under GNU time
}

func main() {
	runs := flag.Int("runs", 200, "measured runs per contender, after 10 warm-up runs")
	flag.Parse()
	if err := run(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench-fetch:", err)
		os.Exit(1)
	}
}

func run(runs int) error {
	work, err := os.MkdirTemp(os.Getenv("BENCH_DIR"), "bench-fetch-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()

	binary := filepath.Join(work, "vault-relay")
	// The init-container image's build: see hack/build-image.
	build := exec.Command("go", "build", "-trimpath", "-tags", "initonly", "-ldflags=-s -w", "-o", binary, "./cmd/vault-relay")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build vault-relay: %w\n%s", err, out)
	}
	script, err := filepath.Abs("hack/bench-fetch/fetch.sh")
	if err != nil {
		return err
	}

	server := fake.New(apiKey)
	if _, err := server.PutGenerated("runlayer-sentry-credentials"); err != nil {
		return err
	}
	baseURL, shutdown, err := server.Listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer func() { _ = shutdown(context.Background()) }()

	headerFile := filepath.Join(work, "auth-header")
	if err := os.WriteFile(headerFile, []byte("Authorization: Bearer "+apiKey+"\n"), 0o600); err != nil {
		return err
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "WORKOS_API_KEY=" + apiKey, "WORKOS_API_BASE=" + baseURL, "AUTH_HEADER_FILE=" + headerFile}

	contenders := []*contender{
		{name: "vault-relay fetch", command: func(out string) *exec.Cmd {
			cmd := exec.Command(binary, "fetch", "--out", out)
			cmd.Env = env
			return cmd
		}},
		{name: "curl + jq script", command: func(out string) *exec.Cmd {
			cmd := exec.Command(script)
			cmd.Env = append(env, "OUT="+out)
			return cmd
		}},
		// The floor of any Go process of this size: exec, runtime start and
		// package initialisation, with no request and no files.
		{name: "baseline: vault-relay version", baseline: true, command: func(string) *exec.Cmd {
			cmd := exec.Command(binary, "version")
			cmd.Env = env
			return cmd
		}},
	}

	// Interleave the contenders so that drift in machine load hits both.
	for i := -10; i < runs; i++ {
		for _, c := range contenders {
			s, err := measure(c, work)
			if err != nil {
				return err
			}
			if i >= 0 {
				c.samples = append(c.samples, s)
			}
		}
	}
	for _, c := range contenders {
		for range 20 {
			rss, err := peakRSS(c, work)
			if err != nil {
				return err
			}
			c.peakRSSK = max(c.peakRSSK, rss)
		}
	}
	report(contenders, runs)
	return nil
}

func measure(c *contender, work string) (sample, error) {
	out, err := os.MkdirTemp(work, "out-")
	if err != nil {
		return sample{}, err
	}
	defer func() { _ = os.RemoveAll(out) }()

	cmd := c.command(out)
	start := time.Now()
	output, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w\n%s", c.name, err, output)
	}
	if _, err := os.Stat(filepath.Join(out, "credentials.json")); err != nil && !c.baseline {
		return sample{}, fmt.Errorf("%s wrote no credentials.json: %w", c.name, err)
	}
	return sample{wall: wall}, nil
}

// peakRSS runs the contender once under GNU time and returns its maximum
// resident set in KiB. The rusage of a process started by os/exec would
// count the parent's pages too, because Go starts children with vfork.
func peakRSS(c *contender, work string) (int64, error) {
	out, err := os.MkdirTemp(work, "out-")
	if err != nil {
		return 0, err
	}
	defer func() { _ = os.RemoveAll(out) }()

	report := filepath.Join(work, "time.out")
	cmd := c.command(out)
	cmd.Args = append([]string{"/usr/bin/time", "-f", "%M", "-o", report}, cmd.Args...)
	cmd.Path = "/usr/bin/time"
	if output, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("%s under /usr/bin/time: %w\n%s", c.name, err, output)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
}

func report(contenders []*contender, runs int) {
	fmt.Printf("%d runs each, interleaved, after 10 warm-up runs; %s/%s, %d CPUs, %s\n\n",
		runs, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Println("| contender | median | p90 | min | peak RSS (max of 20 runs) |")
	fmt.Println("|---|---|---|---|---|")
	medians := make([]time.Duration, len(contenders))
	for i, c := range contenders {
		walls := make([]time.Duration, len(c.samples))
		for j, s := range c.samples {
			walls[j] = s.wall
		}
		slices.Sort(walls)
		medians[i] = walls[len(walls)/2]
		fmt.Printf("| %s | %s | %s | %s | %.1f MiB |\n", c.name, ms(medians[i]), ms(walls[len(walls)*9/10]), ms(walls[0]), float64(c.peakRSSK)/1024)
	}
	fmt.Printf("\nmedian ratio (%s / %s): %.1fx\n", contenders[1].name, contenders[0].name, float64(medians[1])/float64(medians[0]))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
