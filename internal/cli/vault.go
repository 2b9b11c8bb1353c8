package cli

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
	"github.com/helm-vault-relay/helm-vault-relay/internal/vaultcreds"
	"github.com/helm-vault-relay/helm-vault-relay/internal/version"
	"github.com/helm-vault-relay/helm-vault-relay/internal/workos"
)

// Environment variables shared by the commands that read the vault.
const (
	envAPIKey     = "WORKOS_API_KEY"
	envAPIBase    = "WORKOS_API_BASE"
	envSecretName = "WORKOS_VAULT_SECRET_NAME"
	envTimeout    = "VAULT_RELAY_TIMEOUT"
	envJitter     = "VAULT_RELAY_START_JITTER"
)

// defaultTimeout bounds a whole vault read, retries included.
const defaultTimeout = 60 * time.Second

// vaultFlags are the settings of every command that reads the vault. The API
// key is never a flag value, because argv is visible to every user of the
// machine; it comes from WORKOS_API_KEY or a file.
type vaultFlags struct {
	apiKeyFile  string
	apiBase     string
	secretName  string
	timeout     time.Duration
	timeoutFlag string // "timeout", or "vault-timeout" beside helm's own --timeout
	startJitter time.Duration
}

func (v *vaultFlags) register(fs *pflag.FlagSet) { v.registerWithTimeout(fs, "timeout") }

// registerWithTimeout registers the flags with the deadline flag named
// timeoutFlag.
func (v *vaultFlags) registerWithTimeout(fs *pflag.FlagSet, timeoutFlag string) {
	v.timeoutFlag = timeoutFlag
	fs.StringVar(&v.apiKeyFile, "api-key-file", "", "read the WorkOS API key from this file instead of "+envAPIKey)
	fs.StringVar(&v.apiBase, "api-base", workos.DefaultBaseURL, "WorkOS API base URL (env "+envAPIBase+")")
	fs.StringVar(&v.secretName, "secret-name", vaultcreds.DefaultObjectName, "name of the Vault object holding the credentials document (env "+envSecretName+")")
	fs.DurationVar(&v.timeout, timeoutFlag, defaultTimeout, "give up on the vault after this long, retries included (env "+envTimeout+")")
	fs.DurationVar(&v.startJitter, "start-jitter", 0, "delay the first request by a random time up to this long, to spread a fleet that starts at once (env "+envJitter+")")
}

// vaultSettings are the resolved settings: flag, then environment, then
// default.
type vaultSettings struct {
	apiKey      credentials.Secret
	apiBase     string
	secretName  string
	timeout     time.Duration
	startJitter time.Duration
}

// resolve applies the environment to every flag the user did not set.
func (v *vaultFlags) resolve(fs *pflag.FlagSet, getenv func(string) string) (vaultSettings, error) {
	s := vaultSettings{apiBase: v.apiBase, secretName: v.secretName, timeout: v.timeout, startJitter: v.startJitter}
	if !fs.Changed("api-base") && getenv(envAPIBase) != "" {
		s.apiBase = getenv(envAPIBase)
	}
	if !fs.Changed("secret-name") && getenv(envSecretName) != "" {
		s.secretName = getenv(envSecretName)
	}
	if !fs.Changed(v.timeoutFlag) && getenv(envTimeout) != "" {
		timeout, err := time.ParseDuration(getenv(envTimeout))
		if err != nil {
			return s, fmt.Errorf("invalid %s %q: expected a duration such as 30s", envTimeout, getenv(envTimeout))
		}
		s.timeout = timeout
	}
	if !fs.Changed("start-jitter") && getenv(envJitter) != "" {
		jitter, err := time.ParseDuration(getenv(envJitter))
		if err != nil || jitter < 0 {
			return s, fmt.Errorf("invalid %s %q: expected a duration such as 10s", envJitter, getenv(envJitter))
		}
		s.startJitter = jitter
	}
	if s.startJitter < 0 || s.startJitter >= s.timeout {
		return s, fmt.Errorf("invalid start jitter %s: must be at least 0 and below the timeout %s", s.startJitter, s.timeout)
	}
	if s.timeout <= 0 {
		return s, fmt.Errorf("invalid timeout %s: must be positive", s.timeout)
	}
	if s.secretName == "" {
		return s, fmt.Errorf("invalid object name: --secret-name and %s are empty", envSecretName)
	}

	key, err := v.readAPIKey(getenv)
	if err != nil {
		return s, err
	}
	s.apiKey = key
	return s, nil
}

// resolveWithoutKey resolves the settings that do not need the API key, for
// commands that only name the vault object, such as post-render in
// init-container mode.
func (v *vaultFlags) resolveWithoutKey(fs *pflag.FlagSet, getenv func(string) string) (vaultSettings, error) {
	withKey := func(name string) string {
		if name == envAPIKey {
			return "unused"
		}
		return getenv(name)
	}
	saved := v.apiKeyFile
	v.apiKeyFile = ""
	s, err := v.resolve(fs, withKey)
	v.apiKeyFile = saved
	s.apiKey = ""
	if err != nil {
		return s, err
	}
	if _, err := workos.ParseBaseURL(s.apiBase); err != nil {
		return s, err
	}
	return s, nil
}

func (v *vaultFlags) readAPIKey(getenv func(string) string) (credentials.Secret, error) {
	if v.apiKeyFile != "" {
		data, err := os.ReadFile(v.apiKeyFile)
		if err != nil {
			return "", fmt.Errorf("read API key from --api-key-file %q: %w", v.apiKeyFile, err)
		}
		key := strings.TrimSpace(string(data))
		if key == "" {
			return "", fmt.Errorf("read API key from --api-key-file %q: the file is empty", v.apiKeyFile)
		}
		return credentials.Secret(key), nil
	}

	key := strings.TrimSpace(getenv(envAPIKey))
	if key == "" {
		return "", fmt.Errorf("%s not found: set it to your WorkOS API key (sk_...), or pass --api-key-file FILE", envAPIKey)
	}
	return credentials.Secret(key), nil
}

// newClient builds the vault client for s.
func newClient(s vaultSettings, streams IO, logger *slog.Logger) (*workos.Client, error) {
	retry := streams.Retry
	retry.Deadline = s.timeout
	retry.StartJitter = s.startJitter
	return workos.NewClient(workos.Config{
		BaseURL:    s.apiBase,
		APIKey:     s.apiKey,
		HTTPClient: streams.HTTPClient,
		Retry:      retry,
		Logger:     logger,
		UserAgent:  version.UserAgent(),
	})
}
