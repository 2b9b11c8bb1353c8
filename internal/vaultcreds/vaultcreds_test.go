package vaultcreds

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
	"github.com/helm-vault-relay/helm-vault-relay/internal/workos"
)

type readerFunc func(ctx context.Context, name string) (*workos.Object, error)

func (f readerFunc) ReadObjectByName(ctx context.Context, name string) (*workos.Object, error) {
	return f(ctx, name)
}

const document = `{"public_key":"JOaR2bHZ31zYjFojC7UhPOidzfT3qOQgT9WEBw1JAKU",` +
	`"secret_key":"OvXFVm1tIUi8xDTuyHX1SSqdMc8nCt2qU9IUaH5p7oU","id":"5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21"}`

func TestLoad(t *testing.T) {
	reader := readerFunc(func(_ context.Context, name string) (*workos.Object, error) {
		if name != "relay" {
			return nil, &workos.APIError{StatusCode: 404}
		}
		return &workos.Object{ID: "secret_1", Value: document, Metadata: workos.ObjectMetadata{VersionID: "ver_2"}}, nil
	})

	loaded, err := Load(context.Background(), reader, "relay")
	if err != nil {
		t.Fatal(err)
	}
	if loaded.ObjectID != "secret_1" || loaded.VersionID != "ver_2" || loaded.Credentials.ID != "5c1d8ba4-5c6e-4bc1-8a3c-b4e2ac4cbd21" {
		t.Errorf("Load() = %+v", loaded)
	}

	_, err = Load(context.Background(), reader, "other")
	if Classify(err) != ReasonNotFound || !errors.Is(err, workos.ErrNotFound) {
		t.Errorf("missing object: error %v classified %q", err, Classify(err))
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want Reason
	}{
		{&workos.APIError{StatusCode: 404}, ReasonNotFound},
		{&workos.APIError{StatusCode: 401}, ReasonKeyRejected},
		{&workos.APIError{StatusCode: 403}, ReasonKeyRejected},
		{&workos.APIError{StatusCode: 400}, ReasonRequestError},
		{&workos.RetryError{Last: &workos.APIError{StatusCode: 503}}, ReasonUnreachable},
		{&workos.RetryError{Last: &workos.APIError{StatusCode: 429}}, ReasonUnreachable},
		{&workos.TransportError{Err: context.DeadlineExceeded}, ReasonUnreachable},
		{&workos.ResponseError{Reason: "too large"}, ReasonBadResponse},
		{&credentials.FieldError{Field: "id", Reason: "is missing"}, ReasonInvalid},
	}
	for _, tt := range tests {
		t.Run(string(tt.want)+" "+fmt.Sprintf("%T", tt.err), func(t *testing.T) {
			wrapped := fmt.Errorf("read vault object %q: %w", "x", tt.err)
			if got := Classify(wrapped); got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}
