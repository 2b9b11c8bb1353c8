package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/helm-vault-relay/helm-vault-relay/internal/helmrun"
	"github.com/helm-vault-relay/helm-vault-relay/internal/overlay"
	"github.com/helm-vault-relay/helm-vault-relay/internal/vaultcreds"
)

const helmCommandHelp = `Fetch the Relay credentials from WorkOS Vault and run 'helm %[1]s' with
them in a private values overlay.

The overlay is written to a new directory only you can read (file mode 0600)
and removed when helm exits, whether it succeeds, fails or is interrupted.
No secret appears on any command line. SIGINT and SIGTERM are passed on to
helm, and helm's exit code becomes this command's exit code.

Precedence: the overlay is added after your own -f/--values files, so it
overrides them; your --set, --set-string, --set-json and --set-file flags
still override the overlay.

When the credentials are not available (object missing, document invalid,
key rejected, vault unreachable), %[1]s fails before helm runs. With
--allow-missing it runs helm without the overlay instead, so the bundled chart
keeps its vault init container, which fetches the credentials in the cluster.

Every argument that is not one of the flags below goes to helm unchanged,
including helm's global flags (-n/--namespace, --kube-context, ...); run
'helm %[1]s --help' for those.

Usage:
  helm vault-relay %[1]s [helm arguments] [flags]

Flags:
      --allow-missing          run helm without the overlay when the credentials are not available
      --secret-name string     Vault object holding the credentials document (env WORKOS_VAULT_SECRET_NAME; default runlayer-sentry-credentials)
      --api-base string        WorkOS API base URL (env WORKOS_API_BASE; default https://api.workos.com)
      --api-key-file string    read the WorkOS API key from this file instead of WORKOS_API_KEY
      --vault-timeout duration give up on the vault after this long, retries included (env VAULT_RELAY_TIMEOUT; default 60s)
      --map FIELD=path         place a document field at a values path of another chart (repeatable)
      --log-format string      log format on stderr: text or json (default text)
      --keep-vault             keep the bundled chart's vault init container and pass only the
                               vault object's version (relay.vault.objectVersion), so an
                               upgrade after a rotation rolls the pods; no secret leaves the vault
      --post-render            instead of the overlay, patch the chart's Relay workload with
                               'vault-relay post-render' (init-container mode: no secret
                               passes through Helm); works with any chart
      --post-render-arg string pass an argument to post-render, such as --workload=StatefulSet/relay
                               (repeatable); with --mode=inline, helm gets WORKOS_API_KEY so the
                               post-renderer can fetch

Examples:
  helm vault-relay %[1]s relay charts/sentry-relay -n relay
  helm vault-relay %[1]s relay charts/sentry-relay -f my-values.yaml --secret-name staging-relay
`

// helmFlags lists the flags vault-relay takes out of the argument list of
// install, upgrade and template, and whether each takes a value.
var helmFlags = map[string]bool{
	"allow-missing":   false,
	"secret-name":     true,
	"api-base":        true,
	"api-key-file":    true,
	"vault-timeout":   true,
	"map":             true,
	"log-format":      true,
	"post-render":     false,
	"keep-vault":      false,
	"post-render-arg": true,
}

// splitHelmArgs separates vault-relay's own flags from helm's arguments.
// Everything after "--" belongs to helm.
func splitHelmArgs(args []string) (own, helm []string, help bool, err error) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return own, append(helm, args[i:]...), help, nil
		}
		if arg == "-h" || arg == "--help" {
			help = true
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		takesValue, ours := helmFlags[name]
		if !strings.HasPrefix(arg, "--") || !ours {
			helm = append(helm, arg)
			continue
		}
		own = append(own, arg)
		if takesValue && !hasValue {
			if i+1 >= len(args) {
				return nil, nil, false, &usageError{fmt.Errorf("flag --%s needs a value", name)}
			}
			i++
			own = append(own, args[i]) //nolint:gosec // i < len(args), checked above
		}
	}
	return own, helm, help, nil
}

// helmOptions holds vault-relay's flags of install, upgrade and template.
type helmOptions struct {
	common         commonFlags
	vault          vaultFlags
	allowMissing   bool
	mapping        []string
	postRender     bool
	postRenderArgs []string
	keepVault      bool
}

func helmCommand(subcommand string) func(context.Context, IO, []string) error {
	return func(ctx context.Context, streams IO, args []string) error {
		return runHelmWithOverlay(ctx, streams, subcommand, args)
	}
}

func runHelmWithOverlay(ctx context.Context, streams IO, subcommand string, args []string) error {
	own, helmArgs, help, err := splitHelmArgs(args)
	if err != nil {
		return err
	}
	if help {
		fmt.Fprintf(streams.Out, helmCommandHelp, subcommand)
		return errHelp
	}
	var o helmOptions
	fs := newFlagSet(subcommand)
	o.vault.registerWithTimeout(fs, "vault-timeout")
	fs.BoolVar(&o.allowMissing, "allow-missing", false, "")
	fs.StringArrayVar(&o.mapping, "map", nil, "")
	fs.StringVar(&o.common.logFormat, "log-format", "text", "")
	fs.BoolVar(&o.postRender, "post-render", false, "")
	fs.BoolVar(&o.keepVault, "keep-vault", false, "")
	fs.StringArrayVar(&o.postRenderArgs, "post-render-arg", nil, "")
	if err := fs.Parse(own); err != nil {
		return &usageError{err}
	}
	if err := o.common.validate(); err != nil {
		return err
	}
	if o.postRender {
		return runHelmWithPostRenderer(ctx, streams, subcommand, helmArgs, o.postRenderArgs)
	}
	build, err := overlayBuilder(o.mapping, o.keepVault)
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

	helmArgs = append([]string{subcommand}, helmArgs...)
	loaded, err := vaultcreds.Load(ctx, client, vault.secretName)
	if ctx.Err() != nil {
		return errInterrupted
	}
	if err != nil {
		reason := vaultcreds.Classify(err)
		if !o.allowMissing {
			return fmt.Errorf("credentials not available (%s): %w\nFix the cause, or pass --allow-missing to run helm without the overlay; the bundled chart then fetches the credentials in the cluster with its init container", reason, err)
		}
		logger.Warn("credentials not available; running helm without the overlay (--allow-missing)", "reason", string(reason), "error", err.Error())
		return runHelm(ctx, streams, helmArgs)
	}

	data, err := build(overlay.Source{Credentials: loaded.Credentials, VersionID: loaded.VersionID})
	if err != nil {
		return err
	}
	path, remove, err := helmrun.WriteOverlay(data)
	if err != nil {
		return err
	}
	defer func() { _ = remove() }()
	logger.Debug("values overlay written", "bytes", len(data), "object_id", loaded.ObjectID, "version_id", loaded.VersionID)
	return runHelm(ctx, streams, helmrun.WithOverlay(helmArgs, path))
}

// errInterrupted reports a SIGINT or SIGTERM that came before helm started.
var errInterrupted = errors.New("interrupted before helm started")

// runHelm runs $HELM_BIN with args and the caller's streams, forwarding
// SIGINT and SIGTERM, and turns a non-zero exit into an exitCodeError. It
// subscribes to the signals before its last look at ctx, so a signal that
// arrives in between is queued and forwarded instead of lost.
func runHelm(ctx context.Context, streams IO, args []string) error {
	signals := streams.Signals
	if signals == nil {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(ch)
		signals = ch
	}
	if ctx.Err() != nil {
		return errInterrupted
	}

	code, err := helmrun.Run(helmrun.Command{
		Binary:  helmrun.Binary(streams.Getenv),
		Args:    args,
		Env:     childEnv(streams),
		Stdin:   streams.In,
		Stdout:  streams.Out,
		Stderr:  streams.Err,
		Signals: signals,
	})
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitCodeError{code: code}
	}
	return nil
}

// childEnv is this process's environment without the API key, which helm
// does not need.
func childEnv(streams IO) []string {
	// Never nil: os/exec gives a process with a nil Env this process's
	// whole environment, API key included.
	env := []string{}
	if streams.Environ == nil {
		return env
	}
	for _, kv := range streams.Environ() {
		if !strings.HasPrefix(kv, envAPIKey+"=") {
			env = append(env, kv)
		}
	}
	return env
}
