package relayconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
)

// File names Relay looks for in its config directory.
const (
	ConfigFile      = "config.yml"
	CredentialsFile = "credentials.json"
)

// Modes: credentials.json is read-only for its owner, as Relay (which writes
// it 0600 itself) never needs to change it; config.yml is not secret.
const (
	credentialsMode fs.FileMode = 0o400
	configMode      fs.FileMode = 0o444
)

// Relay modes. Managed mode exits at start without credentials, proxy mode
// starts without them and forwards events unchanged. Relay 25.9.0 removed
// static mode.
const (
	ModeManaged = "managed"
	ModeProxy   = "proxy"
)

// Log levels and formats Relay 25.10 accepts in logging.level and
// logging.format.
var (
	LogLevels  = []string{"off", "error", "warn", "info", "debug", "trace"}
	LogFormats = []string{"auto", "pretty", "simplified", "json"}
)

// Settings are the config.yml values the operator controls.
type Settings struct {
	Upstream  string // origin of the upstream Sentry or Relay, such as https://sentry.io/
	Host      string // listen address; 0.0.0.0 in a pod, because Relay's own default is 127.0.0.1
	Port      int    // listen port
	LogLevel  string // one of LogLevels
	LogFormat string // one of LogFormats; empty leaves Relay's default
}

// DefaultSettings returns the settings for a Relay in a Kubernetes pod.
func DefaultSettings() Settings {
	return Settings{Upstream: "https://sentry.io/", Host: "0.0.0.0", Port: 3000, LogLevel: "info"}
}

// Validate checks each setting against what Relay accepts.
func (s Settings) Validate() error {
	u, err := url.Parse(s.Upstream)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("invalid relay upstream %q: expected an http or https origin such as https://sentry.io/", s.Upstream)
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Errorf("invalid relay upstream %q: Relay accepts only an origin, without path, query or user info", s.Upstream)
	}
	if net.ParseIP(s.Host) == nil {
		return fmt.Errorf("invalid relay host %q: expected an IP address such as 0.0.0.0", s.Host)
	}
	if s.Port < 1 || s.Port > 65535 {
		return fmt.Errorf("invalid relay port %d: expected 1 to 65535", s.Port)
	}
	if !contains(LogLevels, s.LogLevel) {
		return fmt.Errorf("invalid relay log level %q: expected one of %v", s.LogLevel, LogLevels)
	}
	if s.LogFormat != "" && !contains(LogFormats, s.LogFormat) {
		return fmt.Errorf("invalid relay log format %q: expected one of %v", s.LogFormat, LogFormats)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}

// Config is the subset of Relay's config.yml that this project writes.
type Config struct {
	Relay   RelaySection   `yaml:"relay"`
	Logging LoggingSection `yaml:"logging"`
}

// RelaySection is the relay: block of config.yml.
type RelaySection struct {
	Mode     string `yaml:"mode"`
	Upstream string `yaml:"upstream"`
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
}

// LoggingSection is the logging: block of config.yml.
type LoggingSection struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format,omitempty"`
}

// NewConfig returns the config for mode with the given settings.
func NewConfig(mode string, s Settings) Config {
	return Config{
		Relay:   RelaySection{Mode: mode, Upstream: s.Upstream, Host: s.Host, Port: s.Port},
		Logging: LoggingSection{Level: s.LogLevel, Format: s.LogFormat},
	}
}

// MarshalConfig encodes config.yml with a header that says where it came
// from.
func MarshalConfig(c Config) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# Written by vault-relay fetch; mode " + c.Relay.Mode + ".\n")
	encoder := yaml.NewEncoder(&buf)
	encoder.SetIndent(2)
	if err := encoder.Encode(c); err != nil {
		return nil, fmt.Errorf("encode %s: %w", ConfigFile, err)
	}
	if err := encoder.Close(); err != nil {
		return nil, fmt.Errorf("encode %s: %w", ConfigFile, err)
	}
	return buf.Bytes(), nil
}

// credentialsFile is Relay's credentials.json. Field order follows Relay's.
type credentialsFile struct {
	SecretKey string `json:"secret_key"`
	PublicKey string `json:"public_key"`
	ID        string `json:"id"`
}

// WriteManaged writes credentials.json and then a managed-mode config.yml.
// The credentials file goes first, so a Relay that finds a managed config
// also finds its credentials.
func WriteManaged(dir string, creds credentials.Credentials, s Settings) error {
	data, err := json.Marshal(credentialsFile{SecretKey: creds.SecretKey.Reveal(), PublicKey: creds.PublicKey, ID: creds.ID})
	if err != nil {
		return fmt.Errorf("encode %s: %w", CredentialsFile, err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, CredentialsFile), data, credentialsMode); err != nil {
		return err
	}
	return writeConfig(dir, NewConfig(ModeManaged, s))
}

// WriteProxy removes any credentials.json left from an earlier start and
// writes a proxy-mode config.yml, with which Relay starts without credentials.
func WriteProxy(dir string, s Settings) error {
	if err := os.Remove(filepath.Join(dir, CredentialsFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale %s: %w", CredentialsFile, err)
	}
	return writeConfig(dir, NewConfig(ModeProxy, s))
}

func writeConfig(dir string, c Config) error {
	data, err := MarshalConfig(c)
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, ConfigFile), data, configMode)
}

// RemoveStaleTemporaries deletes temporary files an earlier writer left in
// dir when it was killed between creating and renaming them. In a pod's
// in-memory volume they would otherwise hold a secret until the pod goes.
func RemoveStaleTemporaries(dir string) error {
	for _, name := range []string{ConfigFile, CredentialsFile} {
		matches, err := filepath.Glob(filepath.Join(dir, "."+name+".tmp-*"))
		if err != nil {
			return err
		}
		for _, m := range matches {
			if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove stale temporary file: %w", err)
			}
		}
	}
	return nil
}

// WriteFileAtomic writes data to a temporary file in the target's directory,
// syncs it, sets mode and renames it over path. On any failure the temporary
// file is removed and path is left as it was.
func WriteFileAtomic(path string, data []byte, mode fs.FileMode) (err error) {
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()

	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err = tmp.Chmod(mode); err != nil {
		return fmt.Errorf("write %s: set mode %s: %w", path, strconv.FormatUint(uint64(mode), 8), err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: close: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: rename: %w", path, err)
	}
	return nil
}
