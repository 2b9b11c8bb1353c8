package cli

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/helm-vault-relay/helm-vault-relay/internal/overlay"
	"github.com/helm-vault-relay/helm-vault-relay/internal/relayconfig"
	"github.com/helm-vault-relay/helm-vault-relay/internal/vaultcreds"
)

const valuesHelp = `Print, or write with -o, a Helm values overlay that carries the Relay
credentials from WorkOS Vault into a chart.

For the bundled chart (the default) the overlay sets relay.vault.enabled to
false, relay.credentials.id, .publicKey and .secretKey, and
backend.secrets.SENTRY_DSN when the document has a sentry_dsn. For another
chart, --map places each document field (id, public_key, secret_key,
sentry_dsn) at a values path of your choosing; only mapped fields are written.
Write \. for a dot inside a key.

The overlay contains the secret key: -o creates the file with mode 0600.
When the credentials are not available, values exits 1 and writes nothing.

Usage:
  vault-relay values [flags]

Examples:
  vault-relay values -o relay-values.yaml
  vault-relay values --map secret_key=relay.auth.secretKey --map public_key=relay.auth.publicKey --map id=relay.auth.id
`

// valuesOptions holds the flags of values.
type valuesOptions struct {
	common  commonFlags
	vault   vaultFlags
	output  string
	mapping []string
}

func (o *valuesOptions) flags() *pflag.FlagSet {
	fs := newFlagSet("values")
	o.vault.register(fs)
	fs.StringVarP(&o.output, "output", "o", "", `write the overlay to this file (mode 0600) instead of stdout; "-" means stdout`)
	fs.StringArrayVar(&o.mapping, "map", nil, "place a document field at a values path, FIELD=values.path (repeatable); replaces the bundled chart's mapping")
	o.common.register(fs)
	return fs
}

func runValues(ctx context.Context, streams IO, args []string) error {
	var o valuesOptions
	fs := o.flags()
	if err := parseFlags(fs, args, streams, valuesHelp); err != nil {
		return err
	}
	if err := o.common.validate(); err != nil {
		return err
	}
	build, err := overlayBuilder(o.mapping, false)
	if err != nil {
		return &usageError{err}
	}
	vault, err := o.vault.resolve(fs, streams.Getenv)
	if err != nil {
		return err
	}
	logger := o.common.logger(streams)
	client, err := newClient(vault, streams, logger)
	if err != nil {
		return err
	}

	loaded, err := vaultcreds.Load(ctx, client, vault.secretName)
	if err != nil {
		return fmt.Errorf("credentials not available (%s): %w", vaultcreds.Classify(err), err)
	}
	data, err := build(overlay.Source{Credentials: loaded.Credentials, VersionID: loaded.VersionID})
	if err != nil {
		return err
	}

	if o.output == "" || o.output == "-" {
		_, err := streams.Out.Write(data)
		return err
	}
	if err := relayconfig.WriteFileAtomic(o.output, data, 0o600); err != nil {
		return err
	}
	logger.Info("values overlay written", "file", o.output, "bytes", len(data))
	return nil
}

// overlayBuilder returns the function that turns credentials into overlay
// YAML: the bundled chart's mapping, the version-only mapping when
// keepVault is set, or the --map entries when given.
func overlayBuilder(mapEntries []string, keepVault bool) (func(overlay.Source) ([]byte, error), error) {
	mapping, opts := overlay.BundledChart(), overlay.Options{DisableVault: true}
	switch {
	case len(mapEntries) > 0 && keepVault:
		return nil, fmt.Errorf("--map and --keep-vault exclude each other")
	case keepVault:
		mapping, opts = overlay.VersionOnly(), overlay.Options{}
	case len(mapEntries) > 0:
		custom, err := overlay.ParseMapping(mapEntries)
		if err != nil {
			return nil, err
		}
		mapping, opts = custom, overlay.Options{}
	}
	return func(src overlay.Source) ([]byte, error) {
		values, err := overlay.Build(src, mapping, opts)
		if err != nil {
			return nil, err
		}
		return overlay.Marshal(values, mapping.HoldsSecret())
	}, nil
}
