package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
	"github.com/helm-vault-relay/helm-vault-relay/internal/doctor"
	"github.com/helm-vault-relay/helm-vault-relay/internal/workos"
)

const doctorHelp = `Diagnose why Relay has no credentials. The checks run in order and stop at
the first failure, which comes with how to fix it:

  API key present                  exit 10
  API key shaped like a WorkOS key exit 11
  API base reachable and answering exit 12
  API key accepted                 exit 13
  Vault object present             exit 14
  credentials document valid       exit 15
  key pair consistent              exit 16
  Sentry DSN valid, if present     exit 17

Exit 0 when every check passes. The report never shows a secret.

Usage:
  vault-relay doctor [flags]

Examples:
  vault-relay doctor
  vault-relay doctor --secret-name staging-relay --output json
`

// doctorTimeout bounds each network check of doctor, retries included;
// a diagnosis should return quickly rather than wait out a long outage.
const doctorTimeout = 15 * time.Second

type doctorOptions struct {
	common commonFlags
	vault  vaultFlags
	output string
}

func runDoctor(ctx context.Context, streams IO, args []string) error {
	var o doctorOptions
	fs := newFlagSet("doctor")
	o.vault.register(fs)
	fs.Lookup("timeout").DefValue = doctorTimeout.String()
	o.vault.timeout = doctorTimeout
	fs.StringVarP(&o.output, "output", "o", "text", `report format: "text" or "json"`)
	o.common.register(fs)
	if err := parseFlags(fs, args, streams, doctorHelp); err != nil {
		return err
	}
	if err := o.common.validate(); err != nil {
		return err
	}
	if o.output != "text" && o.output != "json" {
		return &usageError{fmt.Errorf("invalid --output %q: expected text or json", o.output)}
	}

	settings, keyErr := o.vault.resolve(fs, streams.Getenv)
	if keyErr != nil && !strings.Contains(keyErr.Error(), envAPIKey+" not found") {
		return keyErr
	}
	source := envAPIKey
	if o.vault.apiKeyFile != "" {
		source = "--api-key-file"
	}
	logger := o.common.logger(streams)
	report := doctor.Run(ctx, doctor.Config{
		APIKey:     settings.apiKey,
		KeySource:  source,
		APIBase:    settings.apiBase,
		ObjectName: settings.secretName,
		NewClient: func() (*workos.Client, error) {
			retry := streams.Retry
			retry.Deadline = settings.timeout
			retry.MaxAttempts = 3
			return workos.NewClient(workos.Config{BaseURL: settings.apiBase, APIKey: settings.apiKey, HTTPClient: streams.HTTPClient, Retry: retry, Logger: logger})
		},
	})

	if o.output == "json" {
		encoder := json.NewEncoder(streams.Out)
		encoder.SetIndent("", "  ")
		if err := encoder.Encode(report); err != nil {
			return err
		}
	} else {
		printDoctorReport(streams.Out, report)
	}
	if report.ExitCode != 0 {
		return &exitCodeError{code: report.ExitCode}
	}
	return nil
}

func printDoctorReport(w io.Writer, r doctor.Report) {
	fmt.Fprintf(w, "vault-relay doctor: object %q at %s\n\n", r.ObjectName, r.APIBase)
	for _, res := range r.Results {
		label := map[doctor.Status]string{doctor.StatusOK: "ok", doctor.StatusFailed: "FAILED", doctor.StatusSkipped: "skipped"}[res.Status]
		line := fmt.Sprintf("  %-8s %-34s", label, res.Title)
		if res.Detail != "" {
			line += " " + res.Detail
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
		if res.Fix != "" {
			fmt.Fprintf(w, "           fix: %s\n", res.Fix)
		}
	}
	fmt.Fprintln(w)
	if r.OK {
		fmt.Fprintf(w, "All checks passed. Relay id %s, public key %s, secret key %s.\n", r.RelayID, r.PublicKey, credentials.Redacted)
		return
	}
	fmt.Fprintf(w, "Stopped at %q (exit code %d).\n", r.Failed, r.ExitCode)
}
