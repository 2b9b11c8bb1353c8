package cli

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/helm-vault-relay/helm-vault-relay/internal/tfexternal"
	"github.com/helm-vault-relay/helm-vault-relay/internal/vaultcreds"
)

const terraformHelp = `Act as a Terraform external data source: read the query as a JSON object of
strings on stdin and print the credentials as a JSON object of strings on
stdout: public_key, secret_key, relay_id and sentry_dsn.

Query keys:
  api_key      WorkOS API key (default: WORKOS_API_KEY)
  api_base     WorkOS API base URL (default: WORKOS_API_BASE, then https://api.workos.com)
  secret_name  Vault object name (default: WORKOS_VAULT_SECRET_NAME, then runlayer-sentry-credentials)

When the credentials are not available (object missing, document invalid, key
rejected, vault unreachable until --timeout), every value is an empty string
and the exit code is 0, so a deployment can go ahead without Relay
credentials; --strict makes those cases fail the plan instead. Invalid stdin
and a missing API key always fail. Nothing but the result is printed on
stdout; logs go to stderr.

Usage:
  vault-relay terraform [flags] < query.json

Example (Terraform):
  data "external" "relay" {
    program = ["vault-relay", "terraform"]
    query   = { secret_name = "runlayer-sentry-credentials" }
  }
`

// terraformOptions holds the flags of terraform.
type terraformOptions struct {
	common commonFlags
	vault  vaultFlags
	strict bool
}

func (o *terraformOptions) flags() *pflag.FlagSet {
	fs := newFlagSet("terraform")
	o.vault.register(fs)
	fs.BoolVar(&o.strict, "strict", false, "exit 1 when credentials are not available instead of returning empty strings")
	o.common.register(fs)
	return fs
}

func runTerraform(ctx context.Context, streams IO, args []string) error {
	var o terraformOptions
	fs := o.flags()
	if err := parseFlags(fs, args, streams, terraformHelp); err != nil {
		return err
	}
	if err := o.common.validate(); err != nil {
		return err
	}
	query, err := tfexternal.ReadQuery(streams.In)
	if err != nil {
		return err
	}

	vault, err := o.vault.resolve(fs, queryOverEnv(query, streams.Getenv))
	if err != nil {
		return err
	}
	logger := o.common.logger(streams)
	client, err := newClient(vault, streams, logger)
	if err != nil {
		return err
	}

	var result tfexternal.Result
	loaded, err := vaultcreds.Load(ctx, client, vault.secretName)
	if err == nil {
		result = tfexternal.ResultFrom(loaded.Credentials)
		logger.Info("credentials read", "object_id", loaded.ObjectID, "version_id", loaded.VersionID)
	} else {
		reason := vaultcreds.Classify(err)
		if o.strict {
			return fmt.Errorf("credentials not available (%s): %w", reason, err)
		}
		logger.Warn("credentials not available; returning empty strings", "reason", string(reason), "error", err.Error())
	}

	out, err := result.Marshal()
	if err != nil {
		return err
	}
	if _, err := streams.Out.Write(out); err != nil {
		return fmt.Errorf("write result to stdout: %w", err)
	}
	return nil
}

// queryOverEnv returns a getenv in which the query's values win over the
// environment, which stays the default for keys the query leaves out.
func queryOverEnv(q tfexternal.Query, getenv func(string) string) func(string) string {
	overrides := map[string]string{
		envAPIKey:     q.APIKey.Reveal(),
		envAPIBase:    q.APIBase,
		envSecretName: q.SecretName,
	}
	return func(name string) string {
		if value := overrides[name]; value != "" {
			return value
		}
		return getenv(name)
	}
}
