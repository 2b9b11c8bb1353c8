package workos

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"time"
)

// RetryPolicy bounds how a call is retried. Delays follow capped exponential
// backoff with full jitter: before retry n (from 0) the client waits a random
// time in [0, min(MaxDelay, BaseDelay*2^n)). That wait is added on top of any
// Retry-After the API sent, so clients given the same Retry-After do not
// return together.
type RetryPolicy struct {
	// Deadline bounds the whole call, all attempts and waits included. The
	// client does not start a wait that would end past it. Default 60s.
	Deadline time.Duration
	// AttemptTimeout bounds one request, response body included. Default 10s.
	AttemptTimeout time.Duration
	// BaseDelay is the backoff window before the first retry. Default 200ms.
	BaseDelay time.Duration
	// MaxDelay caps the backoff window. Default 5s.
	MaxDelay time.Duration
	// MaxRetryAfter caps how long a Retry-After header can make the client
	// wait; longer values are cut to it. Default 30s.
	MaxRetryAfter time.Duration
	// MaxAttempts stops retrying after this many attempts; 0 means no limit
	// other than Deadline.
	MaxAttempts int
	// StartJitter delays the first attempt by a random time in
	// [0, StartJitter), so a fleet of pods that start together spreads its
	// requests over that window instead of meeting the rate limit at once.
	// It counts against Deadline. Default 0: start at once.
	StartJitter time.Duration

	// sleep and jitter are replaced in tests.
	sleep  func(context.Context, time.Duration) error
	jitter func(window time.Duration) time.Duration
}

// DefaultRetryPolicy returns the policy used for zero fields.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		Deadline:       60 * time.Second,
		AttemptTimeout: 10 * time.Second,
		BaseDelay:      200 * time.Millisecond,
		MaxDelay:       5 * time.Second,
		MaxRetryAfter:  30 * time.Second,
	}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.Deadline <= 0 {
		p.Deadline = d.Deadline
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = d.AttemptTimeout
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	if p.sleep == nil {
		p.sleep = sleepContext
	}
	if p.jitter == nil {
		p.jitter = fullJitter
	}
	return p
}

// delay returns the wait before retry n after err.
func (p RetryPolicy) delay(n int, err error) time.Duration {
	window := p.MaxDelay
	if n < 30 && p.BaseDelay<<n < p.MaxDelay {
		window = p.BaseDelay << n
	}
	wait := p.jitter(window)

	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
		wait += min(apiErr.RetryAfter, p.MaxRetryAfter)
	}
	return wait
}

func fullJitter(window time.Duration) time.Duration {
	if window <= 0 {
		return 0
	}
	// Jitter spreads retries; it needs no unpredictability, so math/rand.
	return rand.N(window) //nolint:gosec // not security-sensitive

}

func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// do runs attempts until one succeeds, an error is final, or the deadline
// leaves no room for the next wait.
func (c *Client) do(ctx context.Context, req request, out any) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.retry.Deadline)
	defer cancel()
	deadline, _ := ctx.Deadline()

	if wait := c.retry.jitter(c.retry.StartJitter); wait > 0 {
		c.log.Debug("delaying the first vault request", "wait", wait.Round(time.Millisecond))
		if err := c.retry.sleep(ctx, wait); err != nil {
			return &RetryError{Attempts: 0, Elapsed: time.Since(start), Last: err}
		}
	}

	for n := 0; ; n++ {
		err := c.attemptWithTimeout(ctx, req, out)
		if err == nil {
			c.log.Debug("vault request succeeded", "method", req.method, "attempts", n+1)
			return nil
		}
		if !shouldRetry(req, err) {
			return err
		}

		attempts := n + 1
		wait := c.retry.delay(n, err)
		if (c.retry.MaxAttempts > 0 && attempts >= c.retry.MaxAttempts) || time.Now().Add(wait).After(deadline) || ctx.Err() != nil {
			return &RetryError{Attempts: attempts, Elapsed: time.Since(start), Last: err}
		}
		c.log.Info("vault request failed, retrying", retryAttrs(req, attempts, wait, err)...)
		if err := c.retry.sleep(ctx, wait); err != nil {
			return &RetryError{Attempts: attempts, Elapsed: time.Since(start), Last: err}
		}
	}
}

func (c *Client) attemptWithTimeout(ctx context.Context, req request, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.retry.AttemptTimeout)
	defer cancel()
	return c.attempt(ctx, req, out)
}

// shouldRetry decides whether err may go away on its own. A request that
// changes state is sent again only when the API cannot have acted on it: a
// 429, or a connection that was never established.
func shouldRetry(req request, err error) bool {
	if !IsRetryable(err) {
		return false
	}
	if req.method == http.MethodGet {
		return true
	}
	var opErr *net.OpError
	return errors.Is(err, ErrRateLimited) || (errors.As(err, &opErr) && opErr.Op == "dial")
}

func retryAttrs(req request, attempts int, wait time.Duration, err error) []any {
	attrs := []any{"method", req.method, "attempt", attempts, "wait", wait.Round(time.Millisecond), "error", err.Error()}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		attrs = append(attrs, "status", apiErr.StatusCode, "request_id", apiErr.RequestID)
	}
	return attrs
}
