package plugin

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// process is what the tests read from /proc/PID/stat.
type process struct {
	pid   int
	comm  string // executable name, at most 15 bytes
	state byte   // R, S, Z, ...
	ppid  int
	pgrp  int
}

// readProcess parses /proc/PID/stat. The comm field is in parentheses and
// may itself contain spaces and parentheses, so the fields after it are
// found from the last ')'.
func readProcess(pid int) (process, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return process{}, err
	}
	stat := string(data)
	open, end := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
	if open < 0 || end < open {
		return process{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	fields := strings.Fields(stat[end+1:])
	if len(fields) < 3 {
		return process{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return process{}, fmt.Errorf("/proc/%d/stat: parent pid: %w", pid, err)
	}
	pgrp, err := strconv.Atoi(fields[2])
	if err != nil {
		return process{}, fmt.Errorf("/proc/%d/stat: process group: %w", pid, err)
	}
	return process{pid: pid, comm: stat[open+1 : end], state: fields[0][0], ppid: ppid, pgrp: pgrp}, nil
}

// allPIDs lists the processes on the machine. Processes end while the list
// is read, so callers skip a pid whose files are gone.
func allPIDs(t *testing.T) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("list /proc: %v", err)
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// liveProcesses returns the processes for which keep is true, leaving out
// zombies: they have ended and only wait for their parent to reap them.
func liveProcesses(t *testing.T, keep func(process) bool) []process {
	t.Helper()
	var found []process
	for _, pid := range allPIDs(t) {
		p, err := readProcess(pid)
		if err != nil || p.state == 'Z' {
			continue
		}
		if keep(p) {
			found = append(found, p)
		}
	}
	return found
}

// waitForProcess waits up to timeout for a live process for which match is
// true and returns it.
func waitForProcess(t *testing.T, timeout time.Duration, what string, match func(process) bool) process {
	t.Helper()
	var found process
	waitFor(t, timeout, what, func() bool {
		processes := liveProcesses(t, match)
		if len(processes) == 0 {
			return false
		}
		found = processes[0]
		return true
	})
	return found
}

// waitFor polls done until it returns true, and fails the test when that
// takes longer than timeout. The timeouts only catch a hang; no test
// depends on how fast anything happens.
func waitFor(t *testing.T, timeout time.Duration, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readNULList reads /proc/PID/cmdline or /proc/PID/environ as a list.
func readNULList(pid int, file string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), file))
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimRight(string(data), "\x00"), "\x00"), nil
}
