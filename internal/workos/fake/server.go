package fake

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Path prefixes of the two APIs the server handles.
const (
	vaultPrefix   = "/vault/"
	controlPrefix = "/_fake/"
)

// Server is an in-memory WorkOS Vault. It is safe for concurrent use.
type Server struct {
	apiKey        string
	environmentID string
	keyID         string
	updatedBy     Actor
	ids           idGenerator

	mu     sync.Mutex
	byName map[string]*Object
	byID   map[string]*Object
	faults faultState
	stats  Stats
}

// Stats counts the requests the server has handled since New. Requests to
// the control API under /_fake/ are not counted.
type Stats struct {
	// Requests is the number of requests, whatever their response.
	Requests int64 `json:"requests"`

	// ByStatus counts responses by HTTP status. A request whose connection was
	// aborted before any header was sent has no status and is left out.
	ByStatus map[int]int64 `json:"by_status"`

	// ByPath counts requests by escaped URL path, without the query.
	ByPath map[string]int64 `json:"by_path"`

	// RateLimited counts the 429 responses of the rate limiter set by
	// Faults.RateLimit. Injected 429 statuses are not included.
	RateLimited int64 `json:"rate_limited"`
}

// New returns a server with no objects and no faults that accepts the bearer
// token apiKey. With an empty apiKey every request is rejected with 401.
func New(apiKey string) *Server {
	s := &Server{
		apiKey: apiKey,
		keyID:  uuid.NewString(),
		byName: make(map[string]*Object),
		byID:   make(map[string]*Object),
		stats:  Stats{ByStatus: make(map[int]int64), ByPath: make(map[string]int64)},
	}
	now := s.now()
	s.environmentID = "environment_" + s.ids.next(now)
	s.updatedBy = Actor{ID: "key_" + s.ids.next(now), Name: "fake-vault API key"}
	return s
}

// ServeHTTP handles the Vault API under /vault/v1/kv and the control API
// under /_fake/. Every response carries an X-Request-ID header.
//
// A request that Faults.Latency delays is aborted with http.ErrAbortHandler
// when its context ends first, and Faults.ResetMidBody aborts the same way
// when the connection cannot be hijacked. net/http recovers that panic, but a
// caller that invokes ServeHTTP directly must expect it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Request-ID", "req_"+s.ids.next(time.Now()))
	path := r.URL.EscapedPath()

	if strings.HasPrefix(path, controlPrefix) {
		s.serveControl(w, r, path)
		return
	}

	recorder := &statusRecorder{ResponseWriter: w}
	defer func() { s.countRequest(path, recorder.status) }()
	if !strings.HasPrefix(path, vaultPrefix) {
		writeError(recorder, http.StatusNotFound, fmt.Sprintf("no route for path %s", path))
		return
	}
	s.serveVault(recorder, r, path)
}

// authorized reports whether r carries the bearer token the server accepts.
func (s *Server) authorized(r *http.Request) bool {
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || s.apiKey == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(token), []byte(s.apiKey)) == 1
}

func (s *Server) countRequest(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.stats.Requests++
	s.stats.ByPath[path]++
	if status != 0 {
		s.stats.ByStatus[status]++
	}
}

// Stats returns a copy of the request counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()

	stats := s.stats
	stats.ByStatus = maps.Clone(s.stats.ByStatus)
	stats.ByPath = maps.Clone(s.stats.ByPath)
	return stats
}

// ErrNotLoopback is wrapped by the error of Listen and ServeLoopback for an
// address that is not on the loopback interface.
var ErrNotLoopback = errors.New("address is not a loopback address")

// Listen serves s on a loopback address in a new goroutine, as ServeLoopback
// does.
func (s *Server) Listen(addr string) (baseURL string, shutdown func(context.Context) error, err error) {
	return ServeLoopback(addr, s)
}

// ServeLoopback serves handler on addr in a new goroutine. The handler is
// usually a *Server, possibly wrapped by middleware such as a request logger.
// addr is host:port with a host of localhost or an IP address in 127.0.0.0/8
// or ::1, because the fake stores test credentials and accepts a static key.
// localhost is mapped to 127.0.0.1 without a DNS lookup, and port 0 picks a
// free port.
//
// ServeLoopback returns the base URL, such as http://127.0.0.1:41234, and a
// function that shuts the server down gracefully and returns the error that
// ended serving, if any.
func ServeLoopback(addr string, handler http.Handler) (baseURL string, shutdown func(context.Context) error, err error) {
	listener, err := listenLoopback(addr)
	if err != nil {
		return "", nil, err
	}

	// Cancelling the base context ends the waits of Faults.Latency, which
	// would otherwise hold Shutdown until its own deadline.
	baseCtx, cancelRequests := context.WithCancel(context.Background())
	server := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()

	shutdown = func(ctx context.Context) error {
		cancelRequests()
		shutdownErr := server.Shutdown(ctx)
		serveErr := <-served
		if errors.Is(serveErr, http.ErrServerClosed) {
			serveErr = nil
		}
		return errors.Join(shutdownErr, serveErr)
	}
	return "http://" + listener.Addr().String(), shutdown, nil
}

func listenLoopback(addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("listen on %q: %w: use 127.0.0.1, ::1 or localhost", addr, ErrNotLoopback)
	}

	listener, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("listen on %q: %w", addr, err)
	}
	return listener, nil
}
