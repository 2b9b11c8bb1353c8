// Command bench-fleet measures a fleet of relay pods starting at once
// against one API key's rate limit: N fetchers against the fake WorkOS
// Vault on loopback, limited to R requests per second and responding 429
// with Retry-After. It runs the real vault client in goroutines for large
// fleets, and real `vault-relay fetch` processes for a smaller one, in a
// baseline and three fault variants, and prints a Markdown table for
// BENCHMARKS.md.
//
// Usage: go run ./hack/bench-fleet [-n 1000] [-rate 100] [-processes 100] [-variants all]
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
	"github.com/helm-vault-relay/helm-vault-relay/internal/vaultcreds"
	"github.com/helm-vault-relay/helm-vault-relay/internal/workos"
	"github.com/helm-vault-relay/helm-vault-relay/internal/workos/fake"
)

const (
	apiKey     = "sk_test_bench_fleet_0123456789"
	objectName = "runlayer-sentry-credentials"
	deadline   = 60 * time.Second
)

// variant is one scenario of the fleet benchmark.
type variant struct {
	name   string
	faults func(rate float64, n int) fake.Faults
	jitter bool // spread the first requests over N/R seconds
}

var variants = []variant{
	{"rate limit, start jitter N/R", func(r float64, _ int) fake.Faults { return rateLimited(r) }, true},
	{"rate limit, no start jitter", func(r float64, _ int) fake.Faults { return rateLimited(r) }, false},
	{"rate limit + 503 burst (first N/2 requests)", func(r float64, n int) fake.Faults {
		f := rateLimited(r)
		f.StatusSequence = slices.Repeat([]int{503}, n/2)
		return f
	}, true},
	{"rate limit + 30 s outage", func(r float64, _ int) fake.Faults {
		f := rateLimited(r)
		f.Outage = 30 * time.Second
		return f
	}, true},
	{"rate limit + 2 s latency", func(r float64, _ int) fake.Faults {
		f := rateLimited(r)
		f.Latency = 2 * time.Second
		return f
	}, true},
}

// rateLimited models the API key's limit: R requests a second, with a
// bucket of one second's worth.
func rateLimited(rate float64) fake.Faults {
	return fake.Faults{RateLimit: rate, RateBurst: int(rate)}
}

// outcome is one fetcher's result.
type outcome struct {
	elapsed time.Duration
	ok      bool
}

// row is one line of the report.
type row struct {
	variant, mode   string
	n               int
	rate            float64
	jitter          time.Duration
	requests        int64
	makespan        time.Duration
	p50, p99        time.Duration
	succeeded, lost int
}

func main() {
	n := flag.Int("n", 1000, "fetchers run as goroutines with the real client")
	rate := flag.Float64("rate", 100, "requests per second the fake vault allows the goroutine fleet")
	processes := flag.Int("processes", 100, "real vault-relay fetch processes (rate scaled to keep N/R the same)")
	only := flag.String("variants", "all", `"all", or "baseline" for the first variant only`)
	flag.Parse()

	raiseFileLimit()
	binary, cleanup, err := buildBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-fleet:", err)
		os.Exit(1)
	}
	defer cleanup()

	selected := variants
	if *only == "baseline" {
		selected = variants[:1]
	}
	var rows []row
	for _, v := range selected {
		r, err := runGoroutines(v, *n, *rate)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench-fleet:", err)
			os.Exit(1)
		}
		rows = append(rows, r)
		processRate := *rate * float64(*processes) / float64(*n)
		r, err = runProcesses(v, binary, *processes, processRate)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench-fleet:", err)
			os.Exit(1)
		}
		rows = append(rows, r)
	}
	report(rows)
}

// startVault starts the fake with one credentials object and the faults.
func startVault(f fake.Faults) (*fake.Server, string, func(), error) {
	server := fake.New(apiKey)
	if _, err := server.PutGenerated(objectName); err != nil {
		return nil, "", nil, err
	}
	baseURL, shutdown, err := server.Listen("127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	if err := server.SetFaults(f); err != nil {
		_ = shutdown(context.Background())
		return nil, "", nil, err
	}
	return server, baseURL, func() { _ = shutdown(context.Background()) }, nil
}

func jitterFor(v variant, n int, rate float64) time.Duration {
	if !v.jitter {
		return 0
	}
	return time.Duration(float64(n) / rate * float64(time.Second))
}

// runGoroutines runs n real clients, each with its own connections as a
// pod would have, all starting at the same instant.
func runGoroutines(v variant, n int, rate float64) (row, error) {
	server, baseURL, stop, err := startVault(v.faults(rate, n))
	if err != nil {
		return row{}, err
	}
	defer stop()
	jitter := jitterFor(v, n, rate)

	outcomes := make([]outcome, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			transport := http.DefaultTransport.(*http.Transport).Clone()
			transport.DisableKeepAlives = true
			client, err := workos.NewClient(workos.Config{
				BaseURL: baseURL, APIKey: credentials.Secret(apiKey),
				HTTPClient: &http.Client{Transport: transport},
				Retry:      workos.RetryPolicy{Deadline: deadline, StartJitter: jitter},
			})
			if err != nil {
				return
			}
			_, err = vaultcreds.Load(context.Background(), client, objectName)
			outcomes[i] = outcome{elapsed: time.Since(start), ok: err == nil}
		}()
	}
	wg.Wait()
	return summarise(v.name, "goroutines", n, rate, jitter, server.Stats().Requests, outcomes), nil
}

// runProcesses starts n vault-relay fetch processes at once.
func runProcesses(v variant, binary string, n int, rate float64) (row, error) {
	server, baseURL, stop, err := startVault(v.faults(rate, n))
	if err != nil {
		return row{}, err
	}
	defer stop()
	jitter := jitterFor(v, n, rate)
	work, err := os.MkdirTemp(os.Getenv("BENCH_DIR"), "bench-fleet-")
	if err != nil {
		return row{}, err
	}
	defer func() { _ = os.RemoveAll(work) }()

	outcomes := make([]outcome, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		out := filepath.Join(work, fmt.Sprint(i))
		cmd := exec.Command(binary, "fetch", "--out", out, "--start-jitter", jitter.String())
		cmd.Env = []string{"WORKOS_API_KEY=" + apiKey, "WORKOS_API_BASE=" + baseURL}
		if err := cmd.Start(); err != nil {
			return row{}, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := cmd.Wait()
			_, statErr := os.Stat(filepath.Join(out, "credentials.json"))
			outcomes[i] = outcome{elapsed: time.Since(start), ok: err == nil && statErr == nil}
		}()
	}
	wg.Wait()
	return summarise(v.name, "processes", n, rate, jitter, server.Stats().Requests, outcomes), nil
}

func summarise(name, mode string, n int, rate float64, jitter time.Duration, requests int64, outcomes []outcome) row {
	r := row{variant: name, mode: mode, n: n, rate: rate, jitter: jitter, requests: requests}
	var times []time.Duration
	for _, o := range outcomes {
		if o.ok {
			r.succeeded++
			times = append(times, o.elapsed)
		} else {
			r.lost++
		}
	}
	slices.Sort(times)
	if len(times) > 0 {
		r.makespan = times[len(times)-1]
		r.p50 = times[len(times)/2]
		r.p99 = times[min(len(times)-1, len(times)*99/100)]
	}
	return r
}

func report(rows []row) {
	fmt.Printf("%s/%s, %d CPUs, %s; deadline %s\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), deadline)
	fmt.Println("| variant | fetchers | N | R/s | start jitter | success | degraded | requests (× N) | makespan (× N/R) | p50 | p99 |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		ideal := time.Duration(float64(r.n) / r.rate * float64(time.Second))
		fmt.Printf("| %s | %s | %d | %.0f | %s | %.1f%% | %d | %d (%.2f) | %s (%.2f) | %s | %s |\n",
			r.variant, r.mode, r.n, r.rate, r.jitter, 100*float64(r.succeeded)/float64(r.n), r.lost,
			r.requests, float64(r.requests)/float64(r.n), r.makespan.Round(10*time.Millisecond), float64(r.makespan)/float64(ideal),
			r.p50.Round(10*time.Millisecond), r.p99.Round(10*time.Millisecond))
	}
}

func buildBinary() (string, func(), error) {
	dir, err := os.MkdirTemp("", "bench-fleet-bin-")
	if err != nil {
		return "", nil, err
	}
	binary := filepath.Join(dir, "vault-relay")
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "initonly", "-o", binary, "./cmd/vault-relay")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("build vault-relay: %w\n%s", err, strings.TrimSpace(string(out)))
	}
	return binary, func() { _ = os.RemoveAll(dir) }, nil
}

// raiseFileLimit lifts the soft open-file limit to the hard one: a fleet
// without start jitter opens a connection per fetcher at once.
func raiseFileLimit() {
	var limit syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &limit) == nil && limit.Cur < limit.Max {
		limit.Cur = limit.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &limit)
	}
}
