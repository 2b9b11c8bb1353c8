//go:build !initonly

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/helm-vault-relay/helm-vault-relay/internal/postrender"
	"github.com/helm-vault-relay/helm-vault-relay/internal/relayconfig"
	"github.com/helm-vault-relay/helm-vault-relay/internal/vaultcreds"
	"github.com/helm-vault-relay/helm-vault-relay/internal/version"
	"github.com/helm-vault-relay/helm-vault-relay/internal/workos"
)

func postRenderCommands() []command {
	return []command{{"post-render", "Helm post-renderer: patch a chart's Relay workload (stdin to stdout)", runPostRender}}
}

// maxManifestBytes bounds the stream post-render reads; Helm releases are
// limited to about 1 MiB once stored, so a larger stream is an error.
const maxManifestBytes = 256 << 20

const postRenderHelp = `Patch rendered manifests on stdin so that a chart's Relay workload gets its
credentials from WorkOS Vault, and print them on stdout; for use as a Helm
post-renderer.

Selection: by default, Deployments, StatefulSets, DaemonSets, ReplicaSets,
Jobs and CronJobs whose pod template has the label
app.kubernetes.io/component=sentry-relay or a container whose image
repository ends in getsentry/relay. --selector, --workload and --container
select otherwise. When nothing is selected, post-render fails unless
--allow-none is given.

Modes:
  init-container (default)  add the fetch-credentials init container, a 1Mi
                            in-memory volume at /.relay and --config /.relay
                            for Relay; no secret passes through Helm
  inline                    fetch the credentials now, add a Secret holding
                            them and point RELAY_ID, RELAY_PUBLIC_KEY and
                            RELAY_SECRET_KEY at it; the Helm release then
                            stores that Secret

Documents that are not selected are copied byte for byte. Running
post-render on its own output changes nothing. Invalid YAML fails with the
document and line, and nothing is printed on stdout.

Helm 4 discards a post-renderer's stderr; the last failure is kept in
$XDG_STATE_HOME/vault-relay/post-render-last-error (or
~/.local/state/vault-relay/...) and 'vault-relay post-render --last-error'
prints it.

Usage:
  vault-relay post-render [flags] < manifests.yaml

Helm 3:
  helm install relay CHART --post-renderer vault-relay --post-renderer-args post-render
Helm 3 or Helm 4, through the plugin, which adds the right flags:
  helm vault-relay install relay CHART --post-render

Helm 4 takes only a plugin name as --post-renderer; the plugin is
plugins/post-renderer. Do not install it into a plugin directory Helm 3 also
reads: Helm 3 rejects its plugin.yaml format and then loads no plugin at all.

In init-container mode the pod's API base comes from --api-base only, not
from WORKOS_API_BASE, which on a workstation often points at a test server.
`

// postRenderOptions holds the flags of post-render.
type postRenderOptions struct {
	common     commonFlags
	vault      vaultFlags
	mode       string
	selector   postrender.Selector
	allowNone  bool
	lastError  bool
	init       postrender.InitContainer
	initCPU    string
	initMemory string
	secretName string
}

func (o *postRenderOptions) flags() *pflag.FlagSet {
	fs := newFlagSet("post-render")
	fs.StringVar(&o.mode, "mode", string(postrender.ModeInitContainer), "init-container or inline")
	fs.StringVar(&o.selector.Labels, "selector", "", "select workloads by pod template labels instead, such as app=relay,tier!=canary")
	fs.StringVar(&o.selector.Workload, "workload", "", "select one workload by Kind/name instead, such as StatefulSet/relay")
	fs.StringVar(&o.selector.Container, "container", "", "name of Relay's container (default: the one running a getsentry/relay image, or the only one)")
	fs.BoolVar(&o.allowNone, "allow-none", false, "pass the manifests through unchanged when nothing is selected")
	fs.BoolVar(&o.lastError, "last-error", false, "print the last post-render failure and exit")

	fs.StringVar(&o.init.Image, "image", "ghcr.io/helm-vault-relay/vault-relay:"+imageTag(), "init-container mode: the vault-relay image")
	fs.StringVar(&o.init.APIKeySecret, "api-key-secret", "backend-secret", "init-container mode: Secret holding the WorkOS API key")
	fs.StringVar(&o.init.APIKeySecretKey, "api-key-secret-key", "AUTH_API_KEY", "init-container mode: key of the API key in that Secret")
	fs.StringVar(&o.init.Timeout, "init-timeout", "60s", "init-container mode: VAULT_RELAY_TIMEOUT of the init container")
	fs.StringVar(&o.init.StartJitter, "init-start-jitter", "", "init-container mode: VAULT_RELAY_START_JITTER of the init container, such as 20s for 1,000 replicas")
	fs.StringVar(&o.init.Upstream, "upstream", "https://sentry.io/", "init-container mode: relay.upstream in config.yml")
	fs.IntVar(&o.init.Port, "port", 3000, "init-container mode: relay.port in config.yml")
	fs.StringVar(&o.init.LogLevel, "relay-log-level", "info", "init-container mode: logging.level in config.yml")
	fs.BoolVar(&o.init.Strict, "strict", false, "init-container mode: the init container fails instead of degrading")
	fs.StringVar(&o.initCPU, "init-cpu", "10m", "init-container mode: CPU request of the init container")
	fs.StringVar(&o.initMemory, "init-memory", "32Mi", "init-container mode: memory request and limit of the init container")

	fs.StringVar(&o.secretName, "credentials-secret", "sentry-relay-credentials", "inline mode: name of the Secret to add")
	o.vault.register(fs)
	o.common.register(fs)
	return fs
}

// quantity is the form of a Kubernetes resource quantity such as 10m, 32Mi
// or 0.5.
var quantity = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$`)

// validateInit checks the init container's values before they go into a
// manifest, where a mistake would only show when the pod starts.
func (o *postRenderOptions) validateInit() error {
	for flag, value := range map[string]string{"--init-timeout": o.init.Timeout, "--init-start-jitter": o.init.StartJitter} {
		if value == "" && flag == "--init-start-jitter" {
			continue
		}
		if d, err := time.ParseDuration(value); err != nil || d < 0 {
			return fmt.Errorf("invalid %s %q: expected a Go duration such as 60s", flag, value)
		}
	}
	for flag, value := range map[string]string{"--init-cpu": o.initCPU, "--init-memory": o.initMemory} {
		if !quantity.MatchString(value) {
			return fmt.Errorf("invalid %s %q: expected a Kubernetes quantity such as 10m or 32Mi", flag, value)
		}
	}
	if o.init.Image == "" || strings.ContainsAny(o.init.Image, " \t") {
		return fmt.Errorf("invalid --image %q: expected an image reference", o.init.Image)
	}
	return nil
}

// withoutEnv hides the named variables from getenv.
func withoutEnv(getenv func(string) string, names ...string) func(string) string {
	return func(name string) string {
		for _, n := range names {
			if n == name {
				return ""
			}
		}
		return getenv(name)
	}
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// imageTag is the init image tag matching this build.
func imageTag() string {
	if version.Version == "dev" {
		return "0.1.0"
	}
	return version.Version
}

func runPostRender(ctx context.Context, streams IO, args []string) error {
	var o postRenderOptions
	fs := o.flags()
	if err := parseFlags(fs, args, streams, postRenderHelp); err != nil {
		return err
	}
	if o.lastError {
		return printLastError(streams)
	}
	err := postRender(ctx, streams, fs, &o)
	recordLastError(streams, err)
	return err
}

func postRender(ctx context.Context, streams IO, fs *pflag.FlagSet, o *postRenderOptions) error {
	if err := o.common.validate(); err != nil {
		return err
	}
	opts := postrender.Options{Mode: postrender.Mode(o.mode), Selector: o.selector, AllowNone: o.allowNone}
	switch opts.Mode {
	case postrender.ModeInitContainer, postrender.ModeInline:
	default:
		return &usageError{fmt.Errorf("invalid --mode %q: expected init-container or inline", o.mode)}
	}
	if err := opts.Selector.Compile(); err != nil {
		return &usageError{err}
	}
	logger := o.common.logger(streams)

	input, err := io.ReadAll(io.LimitReader(streams.In, maxManifestBytes+1))
	if err != nil {
		return fmt.Errorf("read manifests from stdin: %w", err)
	}
	if len(input) > maxManifestBytes {
		return fmt.Errorf("manifests on stdin exceed %d MiB", maxManifestBytes>>20)
	}

	if opts.Mode == postrender.ModeInline {
		vault, err := o.vault.resolve(fs, streams.Getenv)
		if err != nil {
			return err
		}
		client, err := newClient(vault, streams, logger)
		if err != nil {
			return err
		}
		loaded, err := vaultcreds.Load(ctx, client, vault.secretName)
		if err != nil {
			return fmt.Errorf("credentials not available (%s): %w", vaultcreds.Classify(err), err)
		}
		opts.Inline = postrender.Inline{Credentials: loaded.Credentials, VersionID: loaded.VersionID, SecretName: o.secretName}
	} else {
		if err := o.validateInit(); err != nil {
			return &usageError{err}
		}
		// The pod reads the vault from the cluster, so the workstation's
		// WORKOS_API_BASE, often a local test server, is not used here.
		vault, err := o.vault.resolveWithoutKey(fs, withoutEnv(streams.Getenv, envAPIBase))
		if err != nil {
			return err
		}
		if workos.IsLoopbackHost(hostOf(vault.apiBase)) {
			logger.Warn("the init container will read the vault at a loopback address, which inside a pod is the pod itself", "api_base", vault.apiBase)
		}
		opts.InitContainer = o.init
		opts.InitContainer.APIBase = vault.apiBase
		opts.InitContainer.ObjectName = vault.secretName
		opts.InitContainer.Resources = map[string]map[string]string{
			"requests": {"cpu": o.initCPU, "memory": o.initMemory},
			"limits":   {"memory": o.initMemory},
		}
		settings := relayconfig.Settings{Upstream: o.init.Upstream, Host: "0.0.0.0", Port: o.init.Port, LogLevel: o.init.LogLevel}
		if err := settings.Validate(); err != nil {
			return &usageError{err}
		}
	}

	result, err := postrender.Render(input, opts)
	if err != nil {
		return err
	}
	if opts.Mode == postrender.ModeInline {
		logger.Warn("inline mode: the credentials are stored in a Secret in the Helm release; init-container mode keeps them out of Helm",
			"secret", o.secretName)
	}
	logger.Info("manifests patched", "mode", o.mode, "selected", result.Selected, "bytes_in", len(input), "bytes_out", len(result.Output))
	if _, err := streams.Out.Write(result.Output); err != nil {
		return fmt.Errorf("write manifests to stdout: %w", err)
	}
	return nil
}

// recordLastError writes err to the last-error file, or removes the file
// after a success. Failing to do so is not worth failing the render.
func recordLastError(streams IO, err error) {
	path, pathErr := lastErrorPath(streams.Getenv)
	if pathErr != nil || errors.Is(err, errHelp) {
		return
	}
	if err == nil {
		_ = os.Remove(path)
		return
	}
	if os.MkdirAll(filepath.Dir(path), 0o700) == nil {
		_ = relayconfig.WriteFileAtomic(path, []byte(err.Error()+"\n"), 0o600)
	}
}

func printLastError(streams IO) error {
	path, err := lastErrorPath(streams.Getenv)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintln(streams.Out, "no post-render failure recorded since the last success")
		return nil
	}
	if err != nil {
		return err
	}
	_, err = streams.Out.Write(data)
	return err
}
