package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
	"github.com/helm-vault-relay/helm-vault-relay/internal/relayconfig"
	"github.com/helm-vault-relay/helm-vault-relay/internal/workos"
)

const credentialsHelp = `Generate new Relay credentials: an Ed25519 key pair and a relay id in
Relay's own format.

The summary on stdout shows the public key and relay id, which must be
registered in Sentry (Settings, Relays) before Relay can authenticate; the
secret key is never printed. Keep the credentials with -o (a 0600 file holding
the credentials document) or --store (a new WorkOS Vault object named by
--secret-name). --store refuses to replace an existing object unless
--overwrite is given, and then updates it with a version check, so a
concurrent change is not overwritten.

Usage:
  vault-relay credentials generate [flags]

Examples:
  vault-relay credentials generate --store
  vault-relay credentials generate --store --overwrite --secret-name staging-relay
  vault-relay credentials generate -o relay-credentials.json --dsn https://KEY@o1.ingest.sentry.io/42
`

type generateOptions struct {
	common     commonFlags
	vault      vaultFlags
	output     string
	store      bool
	overwrite  bool
	dsn        string
	keyContext []string
}

func runCredentials(ctx context.Context, streams IO, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(streams.Out, credentialsHelp)
		if len(args) == 0 {
			return &usageError{errors.New("missing subcommand: expected 'credentials generate'")}
		}
		return errHelp
	}
	if args[0] != "generate" {
		return &usageError{fmt.Errorf("unknown subcommand %q of credentials: expected generate", args[0])}
	}
	return runGenerate(ctx, streams, args[1:])
}

func runGenerate(ctx context.Context, streams IO, args []string) error {
	var o generateOptions
	fs := newFlagSet("credentials generate")
	o.vault.register(fs)
	fs.StringVarP(&o.output, "output", "o", "", "write the credentials document to this file (mode 0600)")
	fs.BoolVar(&o.store, "store", false, "store the document as a new WorkOS Vault object named by --secret-name")
	fs.BoolVar(&o.overwrite, "overwrite", false, "replace an existing vault object (--store, checked against its current version) or file (-o)")
	fs.StringVar(&o.dsn, "dsn", "", "add sentry_dsn to the document")
	fs.StringArrayVar(&o.keyContext, "key-context", []string{"app=sentry-relay"}, "with --store, key context KEY=VALUE that selects the encryption key (repeatable)")
	o.common.register(fs)
	if err := parseFlags(fs, args, streams, credentialsHelp); err != nil {
		return err
	}
	if err := o.common.validate(); err != nil {
		return err
	}
	if o.overwrite && !o.store && o.output == "" {
		return &usageError{errors.New("--overwrite needs --store or -o")}
	}
	if o.output != "" && !o.overwrite {
		if _, err := os.Stat(o.output); err == nil {
			return fmt.Errorf("%s already exists: pass --overwrite to replace it; the credentials in it may already be registered in Sentry", o.output)
		}
	}
	keyContext, err := parseKeyContext(o.keyContext)
	if err != nil {
		return &usageError{err}
	}

	creds, err := credentials.Generate(rand.Reader)
	if err != nil {
		return err
	}
	if o.dsn != "" {
		if err := credentials.ValidateDSN(o.dsn); err != nil {
			return &usageError{fmt.Errorf("invalid --dsn: %w", err)}
		}
		creds.SentryDSN = credentials.Secret(o.dsn)
	}
	document, err := credentials.MarshalDocument(creds)
	if err != nil {
		return err
	}

	logger := o.common.logger(streams)
	var stored string
	if o.store {
		if stored, err = o.storeDocument(ctx, streams, fs, logger, document, keyContext); err != nil {
			return err
		}
	}
	if o.output != "" {
		if err := relayconfig.WriteFileAtomic(o.output, document, 0o600); err != nil {
			return err
		}
	}
	printGenerated(streams, creds, o.output, stored)
	return nil
}

// storeDocument creates the object, or updates it with a version check
// when --overwrite is given, and describes what it did.
func (o *generateOptions) storeDocument(ctx context.Context, streams IO, fs *pflag.FlagSet, logger *slog.Logger, document []byte, keyContext map[string]string) (string, error) {
	settings, err := o.vault.resolve(fs, streams.Getenv)
	if err != nil {
		return "", err
	}
	client, err := newClient(settings, streams, logger)
	if err != nil {
		return "", err
	}
	name := settings.secretName

	meta, err := client.CreateObject(ctx, workos.CreateObjectRequest{Name: name, Value: credentials.Secret(document), KeyContext: keyContext})
	if err == nil {
		logger.Info("vault object created", "name", name, "object_id", meta.ID)
		return fmt.Sprintf("created vault object %q (id %s)", name, meta.ID), nil
	}
	if !errors.Is(err, workos.ErrConflict) {
		return "", fmt.Errorf("store credentials in vault object %q: %w", name, err)
	}
	if !o.overwrite {
		return "", fmt.Errorf("vault object %q already exists: pass --overwrite to replace it (the update is checked against its current version)", name)
	}

	current, err := client.ReadObjectByName(ctx, name)
	if err != nil {
		return "", fmt.Errorf("read vault object %q before replacing it: %w", name, err)
	}
	meta, err = client.UpdateObject(ctx, current.ID, credentials.Secret(document), current.Metadata.VersionID)
	if errors.Is(err, workos.ErrConflict) {
		return "", fmt.Errorf("vault object %q changed while it was being replaced (version check failed): run the command again: %w", name, err)
	}
	if err != nil {
		return "", fmt.Errorf("replace vault object %q: %w", name, err)
	}
	logger.Info("vault object replaced", "name", name, "object_id", current.ID, "version_id", meta.VersionID)
	return fmt.Sprintf("replaced vault object %q (id %s, new version %s)", name, current.ID, orNone(meta.VersionID)), nil
}

func parseKeyContext(entries []string) (map[string]string, error) {
	keyContext := map[string]string{}
	for _, entry := range entries {
		key, value, ok := strings.Cut(entry, "=")
		if !ok || key == "" || value == "" {
			return nil, fmt.Errorf("invalid --key-context %q: expected KEY=VALUE", entry)
		}
		keyContext[key] = value
	}
	if len(keyContext) == 0 {
		return nil, errors.New("invalid --key-context: at least one KEY=VALUE is needed")
	}
	return keyContext, nil
}

func printGenerated(streams IO, creds credentials.Credentials, file, stored string) {
	w := streams.Out
	fmt.Fprintln(w, "Generated Relay credentials:")
	fmt.Fprintf(w, "  relay id:    %s\n", creds.ID)
	fmt.Fprintf(w, "  public key:  %s\n", creds.PublicKey)
	fmt.Fprintf(w, "  secret key:  %s\n", creds.SecretKey)
	if stored != "" {
		fmt.Fprintf(w, "Stored: %s.\n", stored)
	}
	if file != "" {
		fmt.Fprintf(w, "Written: %s (mode 0600).\n", file)
	}
	if stored == "" && file == "" {
		fmt.Fprintln(streams.Err, "Warning: the credentials were neither stored nor written; pass --store or -o FILE to keep them.")
	}
	fmt.Fprintln(w, "Register the relay id and public key in Sentry (Settings, Relays) so Relay can authenticate.")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
