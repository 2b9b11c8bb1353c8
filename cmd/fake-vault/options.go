package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/helm-vault-relay/helm-vault-relay/internal/workos/fake"
)

// apiKeyEnv names the environment variable with the bearer key the server
// accepts. It is required, and the key is never printed or logged.
const apiKeyEnv = "FAKE_VAULT_API_KEY"

// options is the parsed command line.
type options struct {
	listen    string      // loopback host:port
	seedFile  string      // JSON file of objects to store at start, or ""
	generate  []string    // object names to store generated credentials under
	readyFile string      // file that receives the base URL, or ""
	debug     bool        // log one line per request
	logFormat string      // "text" or "json"
	faults    fake.Faults // faults active from the start
}

// usageError marks an invalid command line, environment or seed file, which
// exits with exitUsage.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// parseOptions parses args, the command line without the program name. On
// --help it prints the usage to stderr and returns pflag.ErrHelp.
func parseOptions(args []string, stderr io.Writer) (options, error) {
	var opts options
	flags := pflag.NewFlagSet("fake-vault", pflag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s=<key> fake-vault [flags]\n\n", apiKeyEnv)
		fmt.Fprintf(stderr, "Serve an in-memory WorkOS Vault on a loopback address until SIGINT or SIGTERM.\n")
		fmt.Fprintf(stderr, "%s is the bearer key the server accepts (required).\n\nFlags:\n", apiKeyEnv)
		flags.PrintDefaults()
	}

	flags.StringVar(&opts.listen, "listen", "127.0.0.1:0",
		"loopback address to listen on, as host:port with host 127.0.0.1, ::1 or localhost; port 0 picks a free port")
	flags.StringVar(&opts.seedFile, "seed", "",
		`JSON file of objects to store at start: {"objects": [{"name": "...", "value": "..."}]}`)
	flags.StringArrayVar(&opts.generate, "generate", nil,
		"store freshly generated Relay credentials under this object name, replacing a seeded object of that name (repeatable)")
	flags.StringVar(&opts.readyFile, "ready-file", "",
		"file to write the base URL to once listening, replaced atomically and removed at shutdown")
	flags.BoolVar(&opts.debug, "debug", false,
		"log one line per request: method, path, status, duration and request id")
	flags.StringVar(&opts.logFormat, "log-format", "text",
		"log format on stderr: text or json")
	addFaultFlags(flags, &opts.faults)

	if err := flags.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return options{}, err
		}
		return options{}, &usageError{err: err}
	}
	if flags.NArg() > 0 {
		return options{}, usageErrorf("unexpected argument %q: fake-vault takes only flags", flags.Arg(0))
	}
	if opts.logFormat != "text" && opts.logFormat != "json" {
		return options{}, usageErrorf("invalid --log-format %q: use text or json", opts.logFormat)
	}
	if err := opts.faults.Validate(); err != nil {
		return options{}, &usageError{err: err}
	}
	return opts, nil
}

// addFaultFlags defines the flags that set the faults active from the start.
// The control API PUT /_fake/faults replaces them at runtime.
func addFaultFlags(flags *pflag.FlagSet, faults *fake.Faults) {
	flags.DurationVar(&faults.Latency, "latency", 0,
		"delay added before every Vault response, such as 250ms")
	flags.IntVar(&faults.Status, "status", 0,
		"respond to every Vault request with this error status, from 400 to 599")
	flags.IntSliceVar(&faults.StatusSequence, "status-sequence", nil,
		"error statuses for the next Vault requests, one each, before normal responses resume, such as 503,503,503")
	flags.StringVar(&faults.RetryAfter, "retry-after", "",
		"Retry-After header value of 429 and 503 responses; empty lets the rate limiter compute it")
	flags.Float64Var(&faults.RateLimit, "rate-limit", 0,
		"Vault requests per second allowed before 429 responses; 0 disables the limit")
	flags.IntVar(&faults.RateBurst, "rate-burst", 0,
		"token bucket size of --rate-limit; 0 means 1")
	flags.IntVar(&faults.HTMLError, "html-error", 0,
		"respond to every Vault request with this status, from 200 to 599, and an HTML page like a proxy's")
	flags.Int64Var(&faults.OversizedBody, "oversized-body", 0,
		"respond to every Vault request with 200 and a JSON body of this many bytes")
	flags.BoolVar(&faults.ResetMidBody, "reset-mid-body", false,
		"send the headers and half of each Vault response, then reset the connection")
	flags.DurationVar(&faults.Outage, "outage", 0,
		"respond with 503 to every Vault request for this long after start, such as 30s")
}
