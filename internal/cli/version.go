package cli

import (
	"context"
	"fmt"

	"github.com/helm-vault-relay/helm-vault-relay/internal/version"
)

const versionHelp = `Print the version of vault-relay.

Usage:
  vault-relay version
`

func runVersion(_ context.Context, streams IO, args []string) error {
	var common commonFlags
	fs := newFlagSet("version")
	common.register(fs)
	if err := parseFlags(fs, args, streams, versionHelp); err != nil {
		return err
	}
	_, err := fmt.Fprintln(streams.Out, version.Version)
	return err
}
