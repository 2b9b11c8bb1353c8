// Command fake-vault serves an in-memory WorkOS Vault on a loopback address
// for tests, benchmarks and demos. It is not part of the product binary. See
// the package internal/workos/fake for the routes, the fault injection and
// the control API, and run fake-vault --help for the flags.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	os.Exit(code)
}
