package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/helm-vault-relay/helm-vault-relay/internal/workos"
)

// Exit codes. Every command maps its error to one of these in ExitCode.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command failed; the error message explains why
	ExitUsage   = 2 // invalid flags or arguments
)

// IO holds what a command reads and writes, so tests can run it in-process.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	Getenv func(string) string
	// HTTPClient, when set, replaces the vault client's default HTTP client.
	HTTPClient *http.Client
	// Retry, when its fields are set, replaces the default retry delays;
	// the deadline still comes from --timeout.
	Retry workos.RetryPolicy
	// Environ is the environment of child processes such as helm. Nil
	// means no variables.
	Environ func() []string
	// Signals delivers the SIGINT and SIGTERM this process receives, to
	// forward to a running helm. Nil means the command subscribes itself.
	Signals <-chan os.Signal
}

// command is one subcommand of vault-relay.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, io IO, args []string) error
}

func commands() []command {
	return append(baseCommands(), postRenderCommands()...)
}

func baseCommands() []command {
	return []command{
		{"fetch", "write credentials.json and config.yml for Relay (init container)", runFetch},
		{"terraform", "Terraform external data source: query on stdin, credentials on stdout", runTerraform},
		{"values", "print or write a Helm values overlay with the credentials", runValues},
		{"doctor", "diagnose why Relay has no credentials", runDoctor},
		{"credentials", "generate new credentials (credentials generate), optionally stored in the vault", runCredentials},
		{"install", "run helm install with the credentials overlay added", helmCommand("install")},
		{"upgrade", "run helm upgrade with the credentials overlay added", helmCommand("upgrade")},
		{"template", "run helm template with the credentials overlay added", helmCommand("template")},
		{"version", "print the version", runVersion},
	}
}

// Run executes the command named by args[0] and returns the process exit
// code.
func Run(ctx context.Context, args []string, streams IO) int {
	if streams.Getenv == nil {
		streams.Getenv = func(string) string { return "" }
	}
	switch {
	case len(args) >= 2 && args[0] == "help":
		// "help fetch" is "fetch --help".
		args = []string{args[1], "--help"}
	case len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help":
		printUsage(streams.Out)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	case args[0] == "--version":
		args = []string{"version"}
	}

	for _, cmd := range commands() {
		if cmd.name == args[0] {
			err := cmd.run(ctx, streams, args[1:])
			return reportError(streams.Err, cmd.name, err)
		}
	}
	fmt.Fprintf(streams.Err, "Error: unknown command %q for vault-relay\nRun 'vault-relay --help' for the list of commands.\n", args[0])
	return ExitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "vault-relay delivers Sentry Relay credentials from WorkOS Vault.")
	fmt.Fprintln(w, "\nUsage:\n  vault-relay COMMAND [flags]\n\nCommands:")
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintln(w, "\nRun 'vault-relay COMMAND --help' for a command's flags and environment.")
}

// usageError is a problem with the command line itself.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// errHelp reports that --help was handled and the command should stop.
var errHelp = errors.New("help requested")

// exitCodeError passes a child's exit code through, such as helm's; the
// child has already printed why it failed.
type exitCodeError struct{ code int }

func (e *exitCodeError) Error() string { return fmt.Sprintf("exit code %d", e.code) }

// ExitCode maps a command's error to the process exit code.
func ExitCode(err error) int {
	var usage *usageError
	var passThrough *exitCodeError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return ExitOK
	case errors.As(err, &passThrough):
		return passThrough.code
	case errors.As(err, &usage):
		return ExitUsage
	default:
		return ExitFailure
	}
}

func reportError(w io.Writer, command string, err error) int {
	code := ExitCode(err)
	var passThrough *exitCodeError
	if code != ExitOK && !errors.As(err, &passThrough) {
		fmt.Fprintf(w, "Error: %v\n", err)
	}
	if code == ExitUsage {
		fmt.Fprintf(w, "Run 'vault-relay %s --help' for its flags.\n", command)
	}
	return code
}

// commonFlags are accepted by every command.
type commonFlags struct {
	logFormat string
	debug     bool
}

func (c *commonFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.logFormat, "log-format", "text", `log format on stderr: "text" or "json"`)
	fs.BoolVar(&c.debug, "debug", false, "log debug events (also enabled by HELM_DEBUG=true)")
}

// logger returns the command's logger on stderr. Unknown formats were
// rejected by parseFlags.
func (c *commonFlags) logger(streams IO) *slog.Logger {
	level := slog.LevelInfo
	if c.debug || strings.EqualFold(streams.Getenv("HELM_DEBUG"), "true") {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(streams.Err, opts))
	}
	return slog.New(slog.NewTextHandler(streams.Err, opts))
}

func (c *commonFlags) validate() error {
	if c.logFormat != "text" && c.logFormat != "json" {
		return &usageError{fmt.Errorf("invalid --log-format %q: expected text or json", c.logFormat)}
	}
	return nil
}

// newFlagSet returns a flag set whose errors come back to the caller instead
// of being printed.
func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	return fs
}

// parseFlags parses args, prints help on --help, and rejects positional
// arguments, which no command here takes.
func parseFlags(fs *pflag.FlagSet, args []string, streams IO, help string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(streams.Out, help)
			fmt.Fprintf(streams.Out, "\nFlags:\n%s", fs.FlagUsages())
			return errHelp
		}
		return &usageError{err}
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Errorf("unexpected arguments %q: %s takes only flags", fs.Args(), fs.Name())}
	}
	return nil
}
