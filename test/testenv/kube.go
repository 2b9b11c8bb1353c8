package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// adminToken authenticates the tests as a member of system:masters. The API
// server listens on 127.0.0.1 only and lives as long as the test binary.
const adminToken = "vault-relay-test-admin-token"

// readyTimeout bounds the wait for /readyz; a cold start takes a few seconds.
const readyTimeout = 90 * time.Second

// APIServer is a kube-apiserver backed by etcd, both on loopback. No
// controllers run, so workloads are stored but never get pods.
type APIServer struct {
	URL        string // https://127.0.0.1:PORT
	Kubeconfig string // path of a kubeconfig for the admin user
	dir        string
	processes  []*process
	client     *http.Client
}

// StartAPIServer starts etcd and kube-apiserver and waits until the API
// server is ready. Call Stop when done; TestMain is the usual owner.
func StartAPIServer() (*APIServer, error) {
	etcdBin, err := toolPath("etcd")
	if err != nil {
		return nil, err
	}
	apiserverBin, err := toolPath("kube-apiserver")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kube-test-")
	if err != nil {
		return nil, err
	}
	s := &APIServer{dir: dir}

	ports, err := freePorts(3)
	if err != nil {
		return nil, s.stopWith(err)
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	s.URL = "https://127.0.0.1:" + strconv.Itoa(ports[2])

	err = s.start(etcdBin,
		"--name=test", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=test="+peerURL, "--unsafe-no-fsync", "--log-level=warn",
		"--listen-metrics-urls=")
	if err != nil {
		return nil, s.stopWith(err)
	}

	keyFile, err := writeServiceAccountKey(dir)
	if err != nil {
		return nil, s.stopWith(err)
	}
	tokenFile := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokenFile, []byte(adminToken+",admin,admin-uid,system:masters\n"), 0o600); err != nil {
		return nil, s.stopWith(err)
	}
	err = s.start(apiserverBin,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(ports[2]),
		"--cert-dir="+filepath.Join(dir, "certs"),
		"--token-auth-file="+tokenFile, "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+keyFile, "--service-account-signing-key-file="+keyFile,
		"--service-cluster-ip-range=10.96.0.0/24", "--allow-privileged=false",
		"--enable-priority-and-fairness=false", "--profiling=false",
		// The endpoint reconciler rejects a loopback advertise address, and
		// with no kubelet there is nothing to reconcile.
		"--endpoint-reconciler-type=none")
	if err != nil {
		return nil, s.stopWith(err)
	}

	// The serving certificate is self-signed into --cert-dir at start; the
	// tests trust it by skipping verification on loopback only.
	s.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // loopback test server with a self-signed certificate
	if err := s.waitReady(); err != nil {
		return nil, s.stopWith(err)
	}
	if s.Kubeconfig, err = s.writeKubeconfig(); err != nil {
		return nil, s.stopWith(err)
	}
	return s, nil
}

func toolPath(name string) (string, error) {
	path := filepath.Join(ToolsDir(), name)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s not found in %s: run `make tools` to build the pinned test tools", name, ToolsDir())
	}
	return path, nil
}

// process is a started etcd or kube-apiserver; exited closes when it ends.
type process struct {
	cmd    *exec.Cmd
	logs   *lockedBuffer
	exited chan struct{}
}

func (s *APIServer) start(binary string, args ...string) error {
	cmd := exec.Command(binary, args...)
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	// Pdeathsig ends the servers with the test binary even when it crashes.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", filepath.Base(binary), err)
	}
	p := &process{cmd: cmd, logs: logs, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	s.processes = append(s.processes, p)
	return nil
}

func (s *APIServer) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	var last string
	for time.Now().Before(deadline) {
		for _, p := range s.processes {
			select {
			case <-p.exited:
				return fmt.Errorf("%s exited during start; its log ends with:\n%s", filepath.Base(p.cmd.Path), p.logs.tail())
			default:
			}
		}
		status, body, err := s.Do(http.MethodGet, "/readyz", nil)
		if err == nil && status == http.StatusOK {
			return nil
		}
		last = fmt.Sprintf("status %d, error %v, body %.200s", status, err, body)
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("kube-apiserver not ready after %s (%s); its log ends with:\n%s", readyTimeout, last, s.processes[len(s.processes)-1].logs.tail())
}

// Do sends an authenticated request to the API server and returns the
// status and body.
func (s *APIServer) Do(method, path string, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

func (s *APIServer) writeKubeconfig() (string, error) {
	config := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: %s
contexts:
- name: test
  context:
    cluster: test
    user: admin
    namespace: default
current-context: test
`, s.URL, adminToken)
	path := filepath.Join(s.dir, "kubeconfig")
	return path, os.WriteFile(path, []byte(config), 0o600)
}

// Stop ends both processes and removes their data.
func (s *APIServer) Stop() {
	for i := len(s.processes) - 1; i >= 0; i-- {
		p := s.processes[i]
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.exited
		}
	}
	_ = os.RemoveAll(s.dir)
}

func (s *APIServer) stopWith(err error) error {
	s.Stop()
	return err
}

func writeServiceAccountKey(dir string) (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "sa.key")
	return path, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

// freePorts reserves n distinct loopback ports. Another process could take
// one between the reservation and its use; the start would then fail loudly.
func freePorts(n int) ([]int, error) {
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// lockedBuffer collects a process's stdout and stderr, which its two
// copying goroutines write at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// tail returns the last 20 lines, for error messages.
func (b *lockedBuffer) tail() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(b.buf.String()), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}
