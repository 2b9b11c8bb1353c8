// Command vault-relay delivers Sentry Relay credentials from WorkOS Vault to
// an init container, a Helm release or Terraform.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/helm-vault-relay/helm-vault-relay/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv, Environ: os.Environ})
	stop()
	os.Exit(code)
}
