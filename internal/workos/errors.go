package workos

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Error kinds. Every error the client returns wraps exactly one of them, so
// callers decide with errors.Is.
var (
	ErrNotFound        = errors.New("not found")
	ErrUnauthorized    = errors.New("unauthorized")
	ErrForbidden       = errors.New("forbidden")
	ErrConflict        = errors.New("conflict")
	ErrRateLimited     = errors.New("rate limited")
	ErrServer          = errors.New("server error")
	ErrBadRequest      = errors.New("request rejected")
	ErrTransport       = errors.New("transport error")
	ErrInvalidResponse = errors.New("invalid response")
)

// APIError is a response with a status other than the expected one.
type APIError struct {
	Method     string
	Path       string // request path; it holds the object name, never the key
	StatusCode int
	RequestID  string        // X-Request-ID of the response, if any
	Message    string        // the API's error message, shortened
	RetryAfter time.Duration // parsed Retry-After, 0 when absent
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.RequestID != "" {
		msg += " (request id " + e.RequestID + ")"
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Unwrap returns the error kind that matches the status code.
func (e *APIError) Unwrap() error { return kindOfStatus(e.StatusCode) }

func kindOfStatus(status int) error {
	switch {
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusUnauthorized:
		return ErrUnauthorized
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusConflict:
		return ErrConflict
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status >= 500:
		return ErrServer
	case status >= 400:
		return ErrBadRequest
	default:
		return ErrInvalidResponse
	}
}

// TransportError is a request that got no complete response: a refused or
// reset connection, a TLS failure, a timeout or a body cut short.
type TransportError struct {
	Method string
	Path   string
	Err    error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Method, e.Path, e.Err)
}

// Unwrap returns both ErrTransport and the cause, so errors.Is matches either
// ErrTransport or, say, context.DeadlineExceeded.
func (e *TransportError) Unwrap() []error { return []error{ErrTransport, e.Err} }

// ResponseError is a response with the expected status whose body could not
// be used: too large, not JSON, or missing fields.
type ResponseError struct {
	Method    string
	Path      string
	RequestID string
	Reason    string
}

func (e *ResponseError) Error() string {
	msg := fmt.Sprintf("%s %s: invalid response", e.Method, e.Path)
	if e.RequestID != "" {
		msg += " (request id " + e.RequestID + ")"
	}
	return msg + ": " + e.Reason
}

// Unwrap returns ErrInvalidResponse.
func (e *ResponseError) Unwrap() error { return ErrInvalidResponse }

// RetryError reports that the client stopped retrying, either because the
// deadline left no room for another attempt or because the context ended.
type RetryError struct {
	Attempts int
	Elapsed  time.Duration
	Last     error
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("gave up after %d attempts in %s: %v", e.Attempts, e.Elapsed.Round(time.Millisecond), e.Last)
}

// Unwrap returns the error of the last attempt.
func (e *RetryError) Unwrap() error { return e.Last }

// IsRetryable reports whether a request that failed with err may succeed if
// sent again: rate limits, server errors and transport failures.
func IsRetryable(err error) bool {
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrServer) || errors.Is(err, ErrTransport)
}
