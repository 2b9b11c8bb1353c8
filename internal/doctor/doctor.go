// Package doctor diagnoses why Relay has no credentials: it runs the checks
// from the API key to the Sentry DSN in order, stops at the first failure
// and returns how to fix it. It never reports a secret value.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
	"github.com/helm-vault-relay/helm-vault-relay/internal/workos"
)

// Check identifies one step of the diagnosis. Its exit code is the
// command's exit code when the diagnosis stops at it.
type Check struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	ExitCode int    `json:"-"`
}

// Checks in the order they run.
var (
	CheckKeyPresent  = Check{"api-key-present", "API key present", 10}
	CheckKeyFormat   = Check{"api-key-format", "API key shaped like a WorkOS key", 11}
	CheckReachable   = Check{"api-reachable", "API base reachable", 12}
	CheckKeyAccepted = Check{"api-key-accepted", "API key accepted", 13}
	CheckObject      = Check{"object-present", "Vault object present", 14}
	CheckDocument    = Check{"document-valid", "credentials document valid", 15}
	CheckKeyPair     = Check{"key-pair", "key pair consistent", 16}
	CheckDSN         = Check{"dsn-valid", "Sentry DSN valid", 17}

	AllChecks = []Check{CheckKeyPresent, CheckKeyFormat, CheckReachable, CheckKeyAccepted, CheckObject, CheckDocument, CheckKeyPair, CheckDSN}
)

// Status is the outcome of one check.
type Status string

// Statuses.
const (
	StatusOK      Status = "ok"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped" // not run, because an earlier check failed
)

// Result is one check's outcome.
type Result struct {
	Check
	Status Status `json:"status"`
	Detail string `json:"detail,omitempty"` // finding, never a secret
	Fix    string `json:"fix,omitempty"`    // remedy, on failure
}

// Report is the whole diagnosis.
type Report struct {
	APIBase    string   `json:"api_base"`
	ObjectName string   `json:"object_name"`
	OK         bool     `json:"ok"`
	Failed     string   `json:"failed,omitempty"` // ID of the failed check
	ExitCode   int      `json:"exit_code"`
	RelayID    string   `json:"relay_id,omitempty"`
	PublicKey  string   `json:"public_key,omitempty"`
	VersionID  string   `json:"version_id,omitempty"`
	Results    []Result `json:"checks"`
}

// Config is the input of a diagnosis.
type Config struct {
	APIKey     credentials.Secret
	KeySource  string // source of the key, such as "WORKOS_API_KEY"
	APIBase    string
	ObjectName string
	// NewClient builds the vault client for a key that passed the first
	// checks.
	NewClient func() (*workos.Client, error)
}

// isKeyShaped reports whether key has the form of a WorkOS secret key:
// "sk_" and then 16 to 200 letters, digits and underscores, such as
// sk_test_... or sk_live_.... It is a loop rather than a regular
// expression, because compiling {16,200} costs half a millisecond at every
// start of the binary, init containers included.
func isKeyShaped(key string) bool {
	rest, ok := strings.CutPrefix(key, "sk_")
	if !ok || len(rest) < 16 || len(rest) > 200 {
		return false
	}
	for _, r := range rest {
		if !isKeyRune(r) {
			return false
		}
	}
	return true
}

func isKeyRune(r rune) bool {
	return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// Run runs the checks in order and stops at the first failure.
func Run(ctx context.Context, cfg Config) Report {
	r := &run{report: Report{APIBase: cfg.APIBase, ObjectName: cfg.ObjectName}}
	r.diagnose(ctx, cfg)

	for _, check := range AllChecks[len(r.report.Results):] {
		r.report.Results = append(r.report.Results, Result{Check: check, Status: StatusSkipped})
	}
	r.report.OK = r.report.Failed == ""
	return r.report
}

// run accumulates results; each step returns false to stop.
type run struct{ report Report }

func (r *run) pass(check Check, detail string) {
	r.report.Results = append(r.report.Results, Result{Check: check, Status: StatusOK, Detail: detail})
}

func (r *run) fail(check Check, detail, fix string) {
	r.report.Results = append(r.report.Results, Result{Check: check, Status: StatusFailed, Detail: detail, Fix: fix})
	r.report.Failed = check.ID
	r.report.ExitCode = check.ExitCode
}

func (r *run) diagnose(ctx context.Context, cfg Config) {
	key := cfg.APIKey.Reveal()
	if key == "" {
		r.fail(CheckKeyPresent, "no API key in "+cfg.KeySource,
			"set WORKOS_API_KEY to your WorkOS API key, or pass --api-key-file FILE; in the bundled chart, set backend.secrets.AUTH_API_KEY or create the Secret named by backend.secretName")
		return
	}
	r.pass(CheckKeyPresent, fmt.Sprintf("from %s, %d characters", cfg.KeySource, len(key)))

	if !isKeyShaped(key) {
		r.fail(CheckKeyFormat, describeKeyShape(key),
			"copy the secret key (it starts with sk_) from the WorkOS dashboard, API Keys page; check for quotes or spaces around it")
		return
	}
	r.pass(CheckKeyFormat, "environment "+keyEnvironment(key))

	client, err := cfg.NewClient()
	if err != nil {
		r.fail(CheckReachable, err.Error(), "set WORKOS_API_BASE (or --api-base) to an https URL such as "+workos.DefaultBaseURL)
		return
	}
	if err := client.Ping(ctx); err != nil {
		r.fail(CheckReachable, err.Error(),
			"check DNS, firewalls and HTTPS_PROXY/NO_PROXY for "+cfg.APIBase+"; for a private CA, point SSL_CERT_FILE at its bundle")
		return
	}

	// One authenticated call separates a rejected key from an API that
	// responds with errors, which is a reachability problem, not the key's.
	_, err = client.ListObjects(ctx, 1)
	switch {
	case err == nil:
		r.pass(CheckReachable, cfg.APIBase)
		r.pass(CheckKeyAccepted, "")
	case errors.Is(err, workos.ErrUnauthorized), errors.Is(err, workos.ErrForbidden):
		r.pass(CheckReachable, cfg.APIBase)
		r.fail(CheckKeyAccepted, err.Error(),
			"the key was revoked, belongs to another environment, or lacks Vault access: create a key in the WorkOS environment that holds the object")
		return
	default:
		r.fail(CheckReachable, "the API responded, but not usably: "+err.Error(), availabilityFix(err))
		return
	}

	r.checkObject(ctx, client, cfg.ObjectName)
}

func (r *run) checkObject(ctx context.Context, client *workos.Client, name string) {
	object, err := client.ReadObjectByName(ctx, name)
	if err != nil {
		fix := "the API failed to return the object: " + availabilityFix(err)
		if errors.Is(err, workos.ErrNotFound) {
			fix = fmt.Sprintf("create the object with 'vault-relay credentials generate --store --secret-name %s', or set WORKOS_VAULT_SECRET_NAME to the name that exists", name)
		}
		r.fail(CheckObject, err.Error(), fix)
		return
	}
	r.report.VersionID = object.Metadata.VersionID
	r.pass(CheckObject, fmt.Sprintf("id %s, version %s, %d bytes", object.ID, orNone(object.Metadata.VersionID), len(object.Value.Reveal())))

	creds, err := credentials.Parse([]byte(object.Value.Reveal()))
	var fieldErr *credentials.FieldError
	errors.As(err, &fieldErr)
	switch {
	case err == nil:
	case errors.Is(err, credentials.ErrKeyMismatch):
		r.pass(CheckDocument, "")
		r.fail(CheckKeyPair, err.Error(), "store a public_key derived from the secret_key: generate a new pair with 'vault-relay credentials generate' and register the new public key in Sentry")
		return
	case fieldErr != nil && fieldErr.Field == credentials.FieldSentryDSN:
		r.pass(CheckDocument, "")
		r.pass(CheckKeyPair, "")
		r.fail(CheckDSN, err.Error(), "store the DSN exactly as Sentry shows it under Project Settings, Client Keys (DSN), or remove sentry_dsn")
		return
	default:
		r.fail(CheckDocument, err.Error(),
			`store one JSON object {"public_key": "...", "secret_key": "...", "id": "..."} with unpadded URL-safe base64 keys and a lowercase UUID id; 'vault-relay credentials generate' writes one`)
		return
	}
	r.pass(CheckDocument, "")
	r.report.RelayID, r.report.PublicKey = creds.ID, creds.PublicKey
	r.pass(CheckKeyPair, "public key "+creds.PublicKey+", relay id "+creds.ID)
	if creds.SentryDSN.IsZero() {
		r.pass(CheckDSN, "not set")
	} else {
		r.pass(CheckDSN, "")
	}
}

// availabilityFix returns the remedy for an API that responded with errors.
func availabilityFix(err error) string {
	switch {
	case errors.Is(err, workos.ErrRateLimited):
		return "the API key is rate limited (WorkOS allows 6,000 requests a minute per key): find what else uses the key, and spread large fleets with relay.vault.startJitter"
	case errors.Is(err, workos.ErrServer):
		return "the API is failing; retry later, and if it persists the API may be degraded"
	case errors.Is(err, workos.ErrInvalidResponse):
		return "something between here and the API (a proxy or captive portal) answers instead of WorkOS: check HTTPS_PROXY and WORKOS_API_BASE"
	default:
		return "the connection failed or timed out; check the network path to the API and retry"
	}
}

// describeKeyShape describes what is wrong with a key's form without
// showing the key.
func describeKeyShape(key string) string {
	switch {
	case strings.TrimSpace(key) != key:
		return "the key has leading or trailing whitespace"
	case strings.HasPrefix(key, "pk_") || strings.HasPrefix(key, "client_"):
		return "the key looks like a publishable key or client id, not a secret key"
	case !strings.HasPrefix(key, "sk_"):
		return "the key does not start with sk_"
	case len(key) < 19:
		return fmt.Sprintf("the key is %d characters long, too short for a WorkOS key", len(key))
	default:
		return "the key contains characters other than letters, digits and underscores"
	}
}

func keyEnvironment(key string) string {
	switch {
	case strings.HasPrefix(key, "sk_test_"):
		return "test (sk_test_)"
	case strings.HasPrefix(key, "sk_live_"):
		return "live (sk_live_)"
	default:
		return "not marked (sk_)"
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
