package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/helm-vault-relay/helm-vault-relay/internal/workos/fake"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the server failed after its configuration was accepted
	exitUsage   = 2 // invalid flags, environment, seed file or listen address
)

// shutdownTimeout bounds the wait for requests in flight at shutdown.
const shutdownTimeout = 10 * time.Second

// run serves until ctx ends and returns the exit code. Logs and error
// messages go to stderr, the only output.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	err := serve(ctx, args, getenv, stderr)

	var usage *usageError
	switch {
	case err == nil, errors.Is(err, pflag.ErrHelp):
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "fake-vault: %v\nRun fake-vault --help for usage.\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "fake-vault: %v\n", err)
		return exitFailure
	}
}

// serve configures the server from the command line, serves until ctx ends
// and shuts down.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	opts, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	apiKey := getenv(apiKeyEnv)
	if apiKey == "" {
		return usageErrorf("environment variable %s is not set: set it to the bearer key the server should accept", apiKeyEnv)
	}
	logger := newLogger(stderr, opts)

	server, objects, err := newServer(apiKey, opts, logger)
	if err != nil {
		return err
	}
	if err := removeReadyFile(opts.readyFile); err != nil {
		return err
	}

	baseURL, shutdown, err := fake.ServeLoopback(opts.listen, logRequests(server, logger))
	if errors.Is(err, fake.ErrNotLoopback) {
		return &usageError{err: err}
	}
	if err != nil {
		return err
	}
	logger.Info("listening", "url", baseURL, "objects", objects)

	announceErr := writeReadyFile(opts.readyFile, baseURL)
	if announceErr == nil {
		<-ctx.Done()
	}
	return errors.Join(announceErr, stop(shutdown, opts.readyFile, logger))
}

func newLogger(stderr io.Writer, opts options) *slog.Logger {
	level := slog.LevelInfo
	if opts.debug {
		level = slog.LevelDebug
	}
	handlerOptions := &slog.HandlerOptions{Level: level}
	if opts.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(stderr, handlerOptions))
	}
	return slog.New(slog.NewTextHandler(stderr, handlerOptions))
}

// newServer creates the server with the seeded and generated objects and the
// faults from the flags, and returns it with the number of objects stored.
func newServer(apiKey string, opts options, logger *slog.Logger) (*fake.Server, int, error) {
	server := fake.New(apiKey)
	names := make(map[string]bool)

	if opts.seedFile != "" {
		objects, err := loadSeed(opts.seedFile)
		if err != nil {
			return nil, 0, err
		}
		for _, object := range objects {
			server.Put(*object.Name, *object.Value)
			names[*object.Name] = true
		}
		logger.Info("seeded objects", "file", opts.seedFile, "objects", len(objects))
	}

	for _, name := range opts.generate {
		creds, err := server.PutGenerated(name)
		if err != nil {
			return nil, 0, err
		}
		names[name] = true
		logger.Info("generated credentials", "name", name, "relay_id", creds.ID, "public_key", creds.PublicKey)
	}

	if err := server.SetFaults(opts.faults); err != nil {
		return nil, 0, &usageError{err: err}
	}
	return server, len(names), nil
}

// writeReadyFile writes baseURL and a newline to path through a temporary
// file and a rename, so a script that waits for path never reads a partial
// URL. An empty path writes nothing.
func writeReadyFile(path, baseURL string) error {
	if path == "" {
		return nil
	}

	temp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write ready file: %w", err)
	}
	_, writeErr := temp.WriteString(baseURL + "\n")
	closeErr := temp.Close()
	if err := errors.Join(writeErr, closeErr); err != nil {
		_ = os.Remove(temp.Name())
		return fmt.Errorf("write ready file %s: %w", temp.Name(), err)
	}
	if err := os.Rename(temp.Name(), path); err != nil {
		_ = os.Remove(temp.Name())
		return fmt.Errorf("write ready file: %w", err)
	}
	return nil
}

// removeReadyFile removes a ready file left by an earlier run, so a script
// does not read a stale URL. An empty path or a missing file is not an error.
func removeReadyFile(path string) error {
	if path == "" {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove ready file: %w", err)
	}
	return nil
}

// stop shuts the server down, waiting up to shutdownTimeout for requests in
// flight, and removes the ready file.
func stop(shutdown func(context.Context) error, readyFile string, logger *slog.Logger) error {
	logger.Info("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()

	shutdownErr := shutdown(ctx)
	if shutdownErr != nil {
		shutdownErr = fmt.Errorf("shut down: %w", shutdownErr)
	}
	err := errors.Join(shutdownErr, removeReadyFile(readyFile))
	if err == nil {
		logger.Info("stopped")
	}
	return err
}

// logRequests logs one line per request at debug level. It logs the method,
// path, status, duration and request id, and never a header or a body.
// Object names appear in paths, and they are not secret.
func logRequests(next http.Handler, logger *slog.Logger) http.Handler {
	if !logger.Enabled(context.Background(), slog.LevelDebug) {
		return next
	}

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		recorder := &statusRecorder{ResponseWriter: w}
		// The deferred call also logs requests that a fault aborts with a
		// panic, which net/http recovers. Their status is 0.
		defer func() {
			logger.Debug("request",
				"method", r.Method,
				"path", r.URL.EscapedPath(),
				"status", recorder.status,
				"duration", time.Since(start),
				"request_id", w.Header().Get("X-Request-ID"))
		}()
		next.ServeHTTP(recorder, r)
	})
}

// statusRecorder remembers the status sent through it. Unwrap lets the fake
// reach the connection to flush and hijack it.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
