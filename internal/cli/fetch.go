package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/helm-vault-relay/helm-vault-relay/internal/relayconfig"
	"github.com/helm-vault-relay/helm-vault-relay/internal/vaultcreds"
)

// Environment variables of fetch. The RELAY_* names are the ones Relay itself
// reads, so one set of variables serves the init container and Relay.
const (
	envConfigDir = "RELAY_CONFIG_DIR"
	envUpstream  = "RELAY_UPSTREAM_URL"
	envHost      = "RELAY_HOST"
	envPort      = "RELAY_PORT"
	envLogLevel  = "RELAY_LOG_LEVEL"
)

// defaultConfigDir is the in-memory volume the bundled chart mounts.
const defaultConfigDir = "/.relay"

const fetchHelp = `Write credentials.json and config.yml for Sentry Relay, as the init container
of a relay pod does before Relay starts with 'relay run --config DIR'.

When the credentials are available, fetch writes credentials.json (mode 0400)
and a managed-mode config.yml. When they are not (the object is missing, the
document is invalid, the API key is rejected, or the vault stays unreachable
until --timeout), fetch removes any credentials.json, writes a proxy-mode
config.yml with which Relay starts without credentials, logs why, and exits 0.
--strict makes every such failure exit 1 and leaves the directory unchanged.

A missing API key always fails: set WORKOS_API_KEY or pass --api-key-file.

Usage:
  vault-relay fetch [flags]

Examples:
  WORKOS_API_KEY=sk_live_... vault-relay fetch --out /.relay
  vault-relay fetch --api-key-file /run/secrets/workos --strict
`

// fetchOptions holds the flags of fetch.
type fetchOptions struct {
	common   commonFlags
	vault    vaultFlags
	outDir   string
	strict   bool
	settings relayconfig.Settings
}

func (o *fetchOptions) flags() *pflag.FlagSet {
	fs := newFlagSet("fetch")
	defaults := relayconfig.DefaultSettings()
	o.vault.register(fs)
	fs.StringVar(&o.outDir, "out", defaultConfigDir, "directory to write config.yml and credentials.json to (env "+envConfigDir+")")
	fs.BoolVar(&o.strict, "strict", false, "exit 1 when credentials are not available instead of writing a proxy-mode config")
	fs.StringVar(&o.settings.Upstream, "upstream", defaults.Upstream, "relay.upstream in config.yml: origin of the upstream Sentry (env "+envUpstream+")")
	fs.StringVar(&o.settings.Host, "host", defaults.Host, "relay.host in config.yml: address Relay listens on (env "+envHost+")")
	fs.IntVar(&o.settings.Port, "port", defaults.Port, "relay.port in config.yml (env "+envPort+")")
	fs.StringVar(&o.settings.LogLevel, "relay-log-level", defaults.LogLevel, "logging.level in config.yml: off, error, warn, info, debug or trace (env "+envLogLevel+")")
	o.common.register(fs)
	return fs
}

// applyEnv fills every fetch-specific setting the user left unset from the
// environment.
func (o *fetchOptions) applyEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	fromEnv := func(flag, env string, dst *string) {
		if !fs.Changed(flag) && getenv(env) != "" {
			*dst = getenv(env)
		}
	}
	fromEnv("out", envConfigDir, &o.outDir)
	fromEnv("upstream", envUpstream, &o.settings.Upstream)
	fromEnv("host", envHost, &o.settings.Host)
	fromEnv("relay-log-level", envLogLevel, &o.settings.LogLevel)

	if !fs.Changed("port") && getenv(envPort) != "" {
		port, err := strconv.Atoi(getenv(envPort))
		if err != nil {
			return fmt.Errorf("invalid %s %q: expected a port number", envPort, getenv(envPort))
		}
		o.settings.Port = port
	}
	if o.outDir == "" {
		return errors.New("invalid output directory: --out and " + envConfigDir + " are empty")
	}
	if err := o.settings.Validate(); err != nil {
		return fmt.Errorf("%w (set by --upstream, --host, --port, --relay-log-level or %s, %s, %s, %s)", err, envUpstream, envHost, envPort, envLogLevel)
	}
	return nil
}

func runFetch(ctx context.Context, streams IO, args []string) error {
	var o fetchOptions
	fs := o.flags()
	if err := parseFlags(fs, args, streams, fetchHelp); err != nil {
		return err
	}
	if err := o.common.validate(); err != nil {
		return err
	}
	if err := o.applyEnv(fs, streams.Getenv); err != nil {
		return err
	}
	vault, err := o.vault.resolve(fs, streams.Getenv)
	if err != nil {
		return err
	}
	logger := o.common.logger(streams)

	if err := os.MkdirAll(o.outDir, 0o700); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	if err := relayconfig.RemoveStaleTemporaries(o.outDir); err != nil {
		return err
	}
	client, err := newClient(vault, streams, logger)
	if err != nil {
		return err
	}

	loaded, err := vaultcreds.Load(ctx, client, vault.secretName)
	if err == nil {
		if err := relayconfig.WriteManaged(o.outDir, loaded.Credentials, o.settings); err != nil {
			return err
		}
		logger.Info("credentials written", "dir", o.outDir, "mode", relayconfig.ModeManaged,
			"object_id", loaded.ObjectID, "version_id", loaded.VersionID)
		return nil
	}

	reason := vaultcreds.Classify(err)
	if o.strict {
		return fmt.Errorf("credentials not available (%s): %w", reason, err)
	}
	if err := relayconfig.WriteProxy(o.outDir, o.settings); err != nil {
		return err
	}
	logger.Warn("credentials not available; Relay will start in proxy mode without credentials",
		"reason", string(reason), "error", err.Error(), "dir", o.outDir, "mode", relayconfig.ModeProxy)
	return nil
}
