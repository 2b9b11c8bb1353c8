package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// streamSize is one generated stream and how often each tool runs on it.
type streamSize struct {
	documents int
	runs      int
	dir       string // holds stream.yaml, patch.yaml, kustomization.yaml
	input     []byte
}

// tool is one way of applying the patch.
type tool struct {
	name string
	// command returns the process to run in the stream's directory.
	command func(dir string) *exec.Cmd
	// stdin, when set, feeds stream.yaml on standard input.
	stdin bool
	// byteForByte, when set, also requires every other document to pass
	// through unchanged.
	byteForByte bool
	// baseline marks a process that patches nothing and whose output is
	// not checked.
	baseline bool
}

// series is the measurements of one tool on one stream.
type series struct {
	tool        *tool
	size        *streamSize
	walls       []time.Duration
	peakRSSKiB  int64 // maximum over the measured runs
	outputBytes int64 // size of the checked warm-up output
}

// bench runs every series, interleaved.
type bench struct {
	work             string
	sizes            []*streamSize
	patch            patch
	series           []*series
	kustomizeVersion string
	yqVersion        string
}

func newBench(work string, paths toolPaths, sizes []*streamSize, p patch) *bench {
	env := toolEnv(work)
	command := func(path string, args ...string) func(string) *exec.Cmd {
		return func(dir string) *exec.Cmd {
			cmd := exec.Command(path, args...)
			cmd.Dir = dir
			cmd.Env = env
			return cmd
		}
	}
	tools := []*tool{
		{name: vaultRelayName, command: command(paths.vaultRelay, "post-render"), stdin: true, byteForByte: true},
		{name: yqName, command: command(paths.yq, "eval-all", yqExpression, "stream.yaml")},
		{name: "kustomize build", command: command(paths.kustomize, "build", ".")},
	}
	// The floor of any run of the vault-relay binary: exec, Go runtime
	// start and package initialisation, reading and writing nothing.
	baseline := &tool{name: "baseline: vault-relay version", command: command(paths.vaultRelay, "version"), baseline: true}

	b := &bench{work: work, sizes: sizes, patch: p,
		kustomizeVersion: versionOf(paths.kustomize, "version"), yqVersion: versionOf(paths.yq, "--version")}
	for _, size := range sizes {
		for _, t := range tools {
			b.series = append(b.series, &series{tool: t, size: size})
		}
	}
	b.series = append(b.series, &series{tool: baseline, size: sizes[0]})
	return b
}

// warmUp runs every series once and checks its output, so that no tool is
// measured doing nothing or failing.
func (b *bench) warmUp() error {
	fmt.Fprintln(os.Stderr, "bench-postrender: warm-up and output checks")
	for _, s := range b.series {
		if _, _, err := b.runOnce(s); err != nil {
			return err
		}
		if s.tool.baseline {
			continue
		}
		out, err := os.ReadFile(b.outputPath(s))
		if err != nil {
			return err
		}
		if err := checkOutput(out, s.size.documents, b.patch); err != nil {
			return fmt.Errorf("%s on %d documents: %w", s.tool.name, s.size.documents, err)
		}
		if s.tool.byteForByte {
			if err := checkPassThrough(s.size.input, out); err != nil {
				return fmt.Errorf("%s on %d documents: %w", s.tool.name, s.size.documents, err)
			}
		}
		s.outputBytes = int64(len(out))
	}
	return nil
}

// measure runs the series in turns, so that drift in the machine's load
// hits every tool alike. A run whose output size differs from the checked
// warm-up output fails the benchmark.
func (b *bench) measure() error {
	maxRuns := 0
	for _, size := range b.sizes {
		maxRuns = max(maxRuns, size.runs)
	}
	for i := range maxRuns {
		fmt.Fprintf(os.Stderr, "bench-postrender: round %d of %d\n", i+1, maxRuns)
		for _, s := range b.series {
			if i >= s.size.runs {
				continue
			}
			wall, rss, err := b.runOnce(s)
			if err != nil {
				return err
			}
			s.walls = append(s.walls, wall)
			s.peakRSSKiB = max(s.peakRSSKiB, rss)
			if s.tool.baseline {
				continue
			}
			info, err := os.Stat(b.outputPath(s))
			if err != nil {
				return err
			}
			if info.Size() != s.outputBytes {
				return fmt.Errorf("%s on %d documents: run %d wrote %d bytes, the checked run %d", s.tool.name, s.size.documents, i+1, info.Size(), s.outputBytes)
			}
		}
	}
	return nil
}

func (b *bench) outputPath(s *series) string {
	return filepath.Join(s.size.dir, "out-"+strings.ReplaceAll(s.tool.name, " ", "-")+".yaml")
}

// runOnce runs the tool once under GNU time, with its standard output in
// a file, and returns the wall time and the peak resident set in KiB. The
// rusage of a process started by os/exec would count the parent's pages
// too, because Go starts children with vfork. The wall time includes the
// exec of /usr/bin/time, about a millisecond, for every tool alike.
func (b *bench) runOnce(s *series) (time.Duration, int64, error) {
	out, err := os.Create(b.outputPath(s))
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = out.Close() }()

	report := filepath.Join(b.work, "time.out")
	cmd := s.tool.command(s.size.dir)
	cmd.Args = append([]string{"/usr/bin/time", "-f", "%M", "-o", report}, cmd.Args...)
	cmd.Path = "/usr/bin/time"
	cmd.Stdout = out
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if s.tool.stdin {
		in, err := os.Open(filepath.Join(s.size.dir, "stream.yaml"))
		if err != nil {
			return 0, 0, err
		}
		defer func() { _ = in.Close() }()
		cmd.Stdin = in
	}

	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("%s on %d documents: %w\n%s", s.tool.name, s.size.documents, err, stderr.Bytes())
	}
	data, err := os.ReadFile(report)
	if err != nil {
		return 0, 0, err
	}
	rss, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("read peak RSS of %s from GNU time: %w", s.tool.name, err)
	}
	return wall, rss, nil
}
