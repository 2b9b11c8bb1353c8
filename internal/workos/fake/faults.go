package fake

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Faults are failures the server injects into its responses on /vault/
// routes. The zero value injects none.
//
// For each request the server applies them in this order, and the first step
// that sends a response ends the request:
//
//  1. Latency delays the request.
//  2. Outage, then the next entry of StatusSequence, then Status respond with
//     an error status.
//  3. HTMLError responds with an HTML page.
//  4. A request without the API key gets 401.
//  5. RateLimit responds with 429 when no token is free.
//  6. ResetMidBody and then OversizedBody replace the normal response.
//
// Steps 1 to 3 come before the API key check because they imitate failures
// of the network and of proxies in front of the API.
type Faults struct {
	// Latency is added before every response. A request whose context ends
	// during the wait is aborted without a response.
	Latency time.Duration

	// Status, when not 0, is the response status of every request, from 400
	// to 599. The body is {"error": "<status text>"}, except for 429, which
	// gets the rate-limit body {"message", "code"}.
	Status int

	// StatusSequence lists statuses, from 400 to 599, each the response to one
	// request, in order, before Status or normal responses resume. For example
	// [503, 503, 503] fails the next three requests.
	StatusSequence []int

	// RetryAfter is the Retry-After header value of every 429 and 503
	// response, the rate limiter's included. An empty value leaves injected
	// statuses without the header and lets the rate limiter compute its own.
	RetryAfter string

	// ResetMidBody sends the headers and the first half of the normal
	// response, with a Content-Length for the whole body, then resets the TCP
	// connection. The request has its normal effect, so a POST creates its
	// object although the client sees a failure.
	ResetMidBody bool

	// OversizedBody, when above 0, responds with 200 and a JSON object of exactly
	// this many bytes, or this many "x" bytes when it is under 12, the size of
	// the smallest such object.
	OversizedBody int64

	// HTMLError, when not 0, responds with this status, from 200 to 599, and an
	// HTML page, as a proxy error page or a captive portal would.
	HTMLError int

	// RateLimit, when above 0, is the number of requests per second allowed
	// by a token bucket. A request that finds no free token gets 429 with the
	// rate-limit body and a Retry-After header of the whole seconds until a
	// token is free, at least 1.
	RateLimit float64

	// RateBurst is the size of the token bucket, which starts full. 0 means 1
	// when RateLimit is set.
	RateBurst int

	// Outage makes every request fail with 503 for this long after SetFaults.
	Outage time.Duration
}

// Validate returns an error that lists every field whose value the server
// cannot apply.
func (f Faults) Validate() error {
	var problems []string
	if f.Latency < 0 {
		problems = append(problems, fmt.Sprintf("latency %s is negative", f.Latency))
	}
	if f.Outage < 0 {
		problems = append(problems, fmt.Sprintf("outage %s is negative", f.Outage))
	}
	if f.Status != 0 && !isErrorStatus(f.Status) {
		problems = append(problems, fmt.Sprintf("status %d is not an error status from 400 to 599", f.Status))
	}
	for i, status := range f.StatusSequence {
		if !isErrorStatus(status) {
			problems = append(problems, fmt.Sprintf("status sequence entry %d (%d) is not an error status from 400 to 599", i, status))
		}
	}
	if f.HTMLError != 0 && (f.HTMLError < 200 || f.HTMLError > 599) {
		problems = append(problems, fmt.Sprintf("HTML error status %d is not from 200 to 599", f.HTMLError))
	}
	if strings.ContainsFunc(f.RetryAfter, isControl) {
		problems = append(problems, "retry-after contains a control character")
	}
	if f.OversizedBody < 0 {
		problems = append(problems, fmt.Sprintf("oversized body size %d is negative", f.OversizedBody))
	}
	if f.RateLimit < 0 || math.IsNaN(f.RateLimit) || math.IsInf(f.RateLimit, 0) {
		problems = append(problems, fmt.Sprintf("rate limit %v is not a finite number of requests per second, 0 or more", f.RateLimit))
	}
	if f.RateBurst < 0 {
		problems = append(problems, fmt.Sprintf("rate burst %d is negative", f.RateBurst))
	}
	if f.RateBurst > 0 && f.RateLimit == 0 {
		problems = append(problems, "rate burst is set without a rate limit")
	}

	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("invalid faults: %s", strings.Join(problems, "; "))
}

func isErrorStatus(status int) bool { return status >= 400 && status <= 599 }

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// faultsJSON is the JSON form of Faults used by the control API. Durations
// are Go duration strings such as "250ms" or "2s".
type faultsJSON struct {
	Latency        string  `json:"latency,omitempty"`
	Status         int     `json:"status,omitempty"`
	StatusSequence []int   `json:"status_sequence,omitempty"`
	RetryAfter     string  `json:"retry_after,omitempty"`
	ResetMidBody   bool    `json:"reset_mid_body,omitempty"`
	OversizedBody  int64   `json:"oversized_body,omitempty"`
	HTMLError      int     `json:"html_error,omitempty"`
	RateLimit      float64 `json:"rate_limit,omitempty"`
	RateBurst      int     `json:"rate_burst,omitempty"`
	Outage         string  `json:"outage,omitempty"`
}

// MarshalJSON encodes the faults with snake_case names and durations as Go
// duration strings, leaving out fields that are zero.
func (f Faults) MarshalJSON() ([]byte, error) {
	wire := faultsJSON{
		Status:         f.Status,
		StatusSequence: f.StatusSequence,
		RetryAfter:     f.RetryAfter,
		ResetMidBody:   f.ResetMidBody,
		OversizedBody:  f.OversizedBody,
		HTMLError:      f.HTMLError,
		RateLimit:      f.RateLimit,
		RateBurst:      f.RateBurst,
	}
	if f.Latency != 0 {
		wire.Latency = f.Latency.String()
	}
	if f.Outage != 0 {
		wire.Outage = f.Outage.String()
	}
	return json.Marshal(wire)
}

// UnmarshalJSON decodes the form MarshalJSON writes. Unknown fields are an
// error, so a misspelt fault is not silently ignored.
func (f *Faults) UnmarshalJSON(data []byte) error {
	var wire faultsJSON
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&wire); err != nil {
		return fmt.Errorf("decode faults: %w", err)
	}

	latency, err := parseOptionalDuration("latency", wire.Latency)
	if err != nil {
		return err
	}
	outage, err := parseOptionalDuration("outage", wire.Outage)
	if err != nil {
		return err
	}

	*f = Faults{
		Latency:        latency,
		Status:         wire.Status,
		StatusSequence: wire.StatusSequence,
		RetryAfter:     wire.RetryAfter,
		ResetMidBody:   wire.ResetMidBody,
		OversizedBody:  wire.OversizedBody,
		HTMLError:      wire.HTMLError,
		RateLimit:      wire.RateLimit,
		RateBurst:      wire.RateBurst,
		Outage:         outage,
	}
	return nil
}

func parseOptionalDuration(field, value string) (time.Duration, error) {
	if value == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(value)
	if err != nil {
		return 0, fmt.Errorf("decode faults: %s %q is not a Go duration such as \"2s\": %w", field, value, err)
	}
	return d, nil
}

// faultState is the active fault configuration. It is guarded by Server.mu.
type faultState struct {
	config      Faults
	sequence    []int
	outageUntil time.Time
	limiter     *rate.Limiter
}

// SetFaults replaces the active faults with f. It restarts the Outage window,
// the StatusSequence and a full token bucket. Invalid faults are rejected
// with the error of Faults.Validate and change nothing.
func (s *Server) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}

	state := faultState{config: f, sequence: slices.Clone(f.StatusSequence)}
	if f.Outage > 0 {
		state.outageUntil = time.Now().Add(f.Outage)
	}
	if f.RateLimit > 0 {
		state.limiter = rate.NewLimiter(rate.Limit(f.RateLimit), max(f.RateBurst, 1))
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = state
	return nil
}

// activeFaults returns the configured faults with the part of StatusSequence
// not yet used.
func (s *Server) activeFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()

	f := s.faults.config
	f.StatusSequence = slices.Clone(s.faults.sequence)
	return f
}

// faultPlan is the effect of the faults on one request, decided when it
// arrives.
type faultPlan struct {
	latency       time.Duration
	status        int
	htmlStatus    int
	retryAfter    string
	resetMidBody  bool
	oversizedBody int64
	limiter       *rate.Limiter
}

// planFaults decides the faults for one request and consumes an entry of the
// status sequence if the request gets one.
func (s *Server) planFaults() faultPlan {
	s.mu.Lock()
	defer s.mu.Unlock()

	f := &s.faults
	plan := faultPlan{
		latency:       f.config.Latency,
		htmlStatus:    f.config.HTMLError,
		retryAfter:    f.config.RetryAfter,
		resetMidBody:  f.config.ResetMidBody,
		oversizedBody: f.config.OversizedBody,
		limiter:       f.limiter,
	}
	switch {
	case time.Now().Before(f.outageUntil):
		plan.status = http.StatusServiceUnavailable
	case len(f.sequence) > 0:
		plan.status = f.sequence[0]
		f.sequence = f.sequence[1:]
	default:
		plan.status = f.config.Status
	}
	return plan
}

// serveVault handles a request under /vault/, applying the faults in the
// order documented on Faults.
func (s *Server) serveVault(w http.ResponseWriter, r *http.Request, path string) {
	plan := s.planFaults()

	if plan.latency > 0 && !sleep(r.Context(), plan.latency) {
		panic(http.ErrAbortHandler)
	}
	if plan.status != 0 {
		writeStatus(w, plan.status, plan.retryAfter)
		return
	}
	if plan.htmlStatus != 0 {
		writeHTML(w, plan.htmlStatus)
		return
	}
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if plan.limiter != nil && s.rateLimited(w, plan.limiter, plan.retryAfter) {
		return
	}

	switch {
	case plan.resetMidBody:
		s.resetMidBody(w, r, path)
	case plan.oversizedBody > 0:
		writeOversized(w, plan.oversizedBody)
	default:
		s.route(w, r, path)
	}
}

// sleep waits for d and reports whether the wait ended before ctx did.
func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()

	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// rateLimited takes a token from limiter, or responds with 429 and reports that it
// did.
func (s *Server) rateLimited(w http.ResponseWriter, limiter *rate.Limiter, retryAfter string) bool {
	now := time.Now()
	reservation := limiter.ReserveN(now, 1)
	wait := reservation.DelayFrom(now)
	if reservation.OK() && wait == 0 {
		return false
	}
	reservation.CancelAt(now)

	if retryAfter == "" {
		retryAfter = strconv.FormatInt(max(int64(math.Ceil(wait.Seconds())), 1), 10)
	}
	s.mu.Lock()
	s.stats.RateLimited++
	s.mu.Unlock()

	writeStatus(w, http.StatusTooManyRequests, retryAfter)
	return true
}

// resetMidBody routes the request normally into a buffer, sends the headers
// and half of the body, and resets the connection.
func (s *Server) resetMidBody(w http.ResponseWriter, r *http.Request, path string) {
	buffered := newBufferedResponse()
	s.route(buffered, r, path)

	for key, values := range buffered.header {
		w.Header()[key] = values
	}
	body := buffered.body.Bytes()
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(cmp.Or(buffered.status, http.StatusOK))
	_, _ = w.Write(body[:len(body)/2])

	controller := http.NewResponseController(w)
	if err := controller.Flush(); err != nil {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := controller.Hijack()
	if err != nil {
		// HTTP/2 and test recorders cannot be hijacked. Aborting the handler
		// still ends the response early.
		panic(http.ErrAbortHandler)
	}

	// A zero linger time makes Close send a TCP RST instead of a FIN.
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// writeOversized sends a JSON object of exactly size bytes without holding it
// in memory: {"value":"xxx…"}.
func writeOversized(w http.ResponseWriter, size int64) {
	const prefix, suffix = `{"value":"`, `"}`
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)

	padding := size
	if size >= int64(len(prefix)+len(suffix)) {
		padding = size - int64(len(prefix)+len(suffix))
		if _, err := w.Write([]byte(prefix)); err != nil {
			return
		}
	}
	if err := writePadding(w, padding); err != nil {
		return
	}
	if padding != size {
		_, _ = w.Write([]byte(suffix))
	}
}

// writePadding writes n "x" bytes in chunks and stops at the first error,
// which is usually the client closing the connection.
func writePadding(w http.ResponseWriter, n int64) error {
	chunk := []byte(strings.Repeat("x", 32*1024))
	for n > 0 {
		size := min(n, int64(len(chunk)))
		if _, err := w.Write(chunk[:size]); err != nil {
			return fmt.Errorf("write oversized body: %w", err)
		}
		n -= size
	}
	return nil
}
