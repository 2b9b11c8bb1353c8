package fake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// errorBody is the error shape of the Vault endpoints.
type errorBody struct {
	Error string `json:"error"`
}

// rateLimitBody is the 429 shape used elsewhere in the WorkOS API.
//
// NOTE: whether Vault routes send this body or errorBody with a 429 is
// not documented. Clients should accept both.
type rateLimitBody struct {
	Message string `json:"message"`
	Code    string `json:"code"`
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		// Only values built by this package reach here, and they all encode.
		status = http.StatusInternalServerError
		data = []byte(`{"error":"encode response body"}`)
	}

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, errorBody{Error: message})
}

// writeStatus sends the response for an injected error status: the rate-limit
// body for 429, the Vault error body with the status text otherwise.
// retryAfter, when set, goes into the Retry-After header of 429 and 503
// responses.
func writeStatus(w http.ResponseWriter, status int, retryAfter string) {
	if retryAfter != "" && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) {
		w.Header().Set("Retry-After", retryAfter)
	}
	if status == http.StatusTooManyRequests {
		writeJSON(w, status, rateLimitBody{Message: "Rate limit exceeded", Code: "rate_limit_exceeded"})
		return
	}
	writeError(w, status, http.StatusText(status))
}

// writeHTML sends the kind of page a proxy or load balancer returns in front
// of an API.
func writeHTML(w http.ResponseWriter, status int) {
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	page := "<!DOCTYPE html>\n<html><head><title>" + text + "</title></head>\n" +
		"<body><center><h1>" + text + "</h1></center><hr><center>fake-proxy</center></body></html>\n"

	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(page)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(page))
}

// statusRecorder remembers the status a handler sends. Unwrap lets
// http.ResponseController reach the underlying writer to flush and hijack.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// bufferedResponse keeps a whole response in memory, so Faults.ResetMidBody can
// send only part of it.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedResponse() *bufferedResponse {
	return &bufferedResponse{header: make(http.Header)}
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
