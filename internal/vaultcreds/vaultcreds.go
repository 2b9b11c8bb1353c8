// Package vaultcreds loads the Relay credentials document from WorkOS Vault
// and classifies why credentials are not available, the one decision every
// delivery path (init container, Terraform, Helm) shares.
package vaultcreds

import (
	"context"
	"errors"
	"fmt"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
	"github.com/helm-vault-relay/helm-vault-relay/internal/workos"
)

// DefaultObjectName is the Vault object that holds the credentials document
// unless WORKOS_VAULT_SECRET_NAME or a flag names another.
const DefaultObjectName = "runlayer-sentry-credentials"

// ObjectReader reads a Vault object by name; *workos.Client implements it.
type ObjectReader interface {
	ReadObjectByName(ctx context.Context, name string) (*workos.Object, error)
}

// Loaded is a valid credentials document and where it came from.
type Loaded struct {
	Credentials credentials.Credentials
	ObjectID    string
	VersionID   string // empty when the API does not report versions
}

// Load reads the object name and validates the document in its value.
func Load(ctx context.Context, reader ObjectReader, name string) (Loaded, error) {
	object, err := reader.ReadObjectByName(ctx, name)
	if err != nil {
		return Loaded{}, fmt.Errorf("read vault object %q: %w", name, err)
	}

	creds, err := credentials.Parse([]byte(object.Value.Reveal()))
	if err != nil {
		return Loaded{}, fmt.Errorf("vault object %q: %w", name, err)
	}
	return Loaded{Credentials: creds, ObjectID: object.ID, VersionID: object.Metadata.VersionID}, nil
}

// Reason is the cause of missing credentials, in the words operators see
// in logs and in the reason= field.
type Reason string

// Reasons returned by Classify.
const (
	ReasonNotFound     Reason = "object not found"
	ReasonInvalid      Reason = "credentials document invalid"
	ReasonKeyRejected  Reason = "API key rejected"
	ReasonUnreachable  Reason = "vault unreachable"
	ReasonBadResponse  Reason = "unexpected vault response"
	ReasonRequestError Reason = "request rejected"
)

// Classify maps an error from Load to the reason credentials are missing.
func Classify(err error) Reason {
	switch {
	case errors.Is(err, workos.ErrNotFound):
		return ReasonNotFound
	case errors.Is(err, credentials.ErrInvalid):
		return ReasonInvalid
	case errors.Is(err, workos.ErrUnauthorized), errors.Is(err, workos.ErrForbidden):
		return ReasonKeyRejected
	case errors.Is(err, workos.ErrInvalidResponse):
		return ReasonBadResponse
	case errors.Is(err, workos.ErrBadRequest):
		return ReasonRequestError
	default:
		return ReasonUnreachable
	}
}
