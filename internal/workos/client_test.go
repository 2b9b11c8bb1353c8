package workos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
)

const testKey = "sk_test_client_key_DO_NOT_LEAK"

const objectJSON = `{"id":"secret_01","name":"runlayer-sentry-credentials","value":"{\"a\":1}",` +
	`"metadata":{"id":"secret_01","environment_id":"env_1","key_id":"key_1","context":{"app":"relay"},` +
	`"updated_at":"2026-01-02T03:04:05Z","updated_by":{"id":"user_1","name":"Ops"},"version_id":"ver_7"}}`

// sleepRecorder replaces the retry policy's sleep and jitter so tests see
// the waits without spending them.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.waits = append(r.waits, d)
	r.mu.Unlock()
	return ctx.Err()
}

func newTestClient(t *testing.T, handler http.Handler, retry RetryPolicy) (*Client, *sleepRecorder) {
	t.Helper()
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)

	recorder := &sleepRecorder{}
	if retry.sleep == nil {
		retry.sleep = recorder.sleep
	}
	if retry.jitter == nil {
		retry.jitter = func(window time.Duration) time.Duration { return window }
	}
	client, err := NewClient(Config{BaseURL: server.URL, APIKey: testKey, Retry: retry})
	if err != nil {
		t.Fatal(err)
	}
	return client, recorder
}

// sequence responds to each request with the next status, repeating the
// last.
func sequence(count *atomic.Int32, statuses ...int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		n := int(count.Add(1)) - 1
		status := statuses[min(n, len(statuses)-1)]
		w.Header().Set("X-Request-ID", fmt.Sprintf("req_%d", n))
		w.Header().Set("Content-Type", "application/json")
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "2")
		}
		w.WriteHeader(status)
		if status == http.StatusOK {
			_, _ = w.Write([]byte(objectJSON))
			return
		}
		_, _ = fmt.Fprintf(w, `{"error":"status %d"}`, status)
	}
}

func TestReadObjectByName(t *testing.T) {
	var gotPath, gotAuth string
	client, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotAuth = r.URL.EscapedPath(), r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(objectJSON))
	}), RetryPolicy{})

	object, err := client.ReadObjectByName(context.Background(), "team/relay credentials")
	if err != nil {
		t.Fatal(err)
	}
	if want := "/vault/v1/kv/name/team%2Frelay%20credentials"; gotPath != want {
		t.Errorf("path = %q, want %q", gotPath, want)
	}
	if gotAuth != "Bearer "+testKey {
		t.Errorf("Authorization header = %q, want the bearer key", gotAuth)
	}
	if object.ID != "secret_01" || object.Value.Reveal() != `{"a":1}` {
		t.Errorf("object = %+v, value %q", object, object.Value.Reveal())
	}
	if object.Metadata.VersionID != "ver_7" || object.Metadata.UpdatedBy.Name != "Ops" {
		t.Errorf("metadata = %+v", object.Metadata)
	}
}

func TestErrorKinds(t *testing.T) {
	tests := []struct {
		status       int
		kind         error
		wantAttempts int32
	}{
		{http.StatusBadRequest, ErrBadRequest, 1},
		{http.StatusUnauthorized, ErrUnauthorized, 1},
		{http.StatusForbidden, ErrForbidden, 1},
		{http.StatusNotFound, ErrNotFound, 1},
		{http.StatusConflict, ErrConflict, 1},
		{http.StatusUnprocessableEntity, ErrBadRequest, 1},
		{http.StatusTooManyRequests, ErrRateLimited, 3},
		{http.StatusInternalServerError, ErrServer, 3},
		{http.StatusServiceUnavailable, ErrServer, 3},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			var count atomic.Int32
			client, _ := newTestClient(t, sequence(&count, tt.status), RetryPolicy{MaxAttempts: 3})

			_, err := client.ReadObjectByName(context.Background(), "obj")
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error = %v, want kind %v", err, tt.kind)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %T is not an *APIError", err)
			}
			if apiErr.StatusCode != tt.status {
				t.Errorf("StatusCode = %d, want %d", apiErr.StatusCode, tt.status)
			}
			if !strings.HasPrefix(apiErr.RequestID, "req_") {
				t.Errorf("RequestID = %q, want the X-Request-ID", apiErr.RequestID)
			}
			if got := count.Load(); got != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tt.wantAttempts)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error %q contains the API key", err)
			}
		})
	}
}

func TestRetryThenSuccess(t *testing.T) {
	var count atomic.Int32
	client, recorder := newTestClient(t, sequence(&count, 503, 429, 500, 200), RetryPolicy{BaseDelay: 100 * time.Millisecond})

	if _, err := client.ReadObjectByName(context.Background(), "obj"); err != nil {
		t.Fatal(err)
	}
	if got := count.Load(); got != 4 {
		t.Errorf("attempts = %d, want 4", got)
	}
	// Full windows (jitter returns the window): 100ms, then 200ms plus the
	// 2s Retry-After, then 400ms.
	want := []time.Duration{100 * time.Millisecond, 2200 * time.Millisecond, 400 * time.Millisecond}
	if fmt.Sprint(recorder.waits) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v", recorder.waits, want)
	}
}

func TestRetryDelayCapped(t *testing.T) {
	p := RetryPolicy{BaseDelay: time.Second, MaxDelay: 3 * time.Second, MaxRetryAfter: 10 * time.Second}.withDefaults()
	p.jitter = func(window time.Duration) time.Duration { return window }

	tests := []struct {
		name string
		n    int
		err  error
		want time.Duration
	}{
		{"first retry", 0, ErrServer, time.Second},
		{"second retry", 1, ErrServer, 2 * time.Second},
		{"capped", 5, ErrServer, 3 * time.Second},
		{"huge attempt number", 200, ErrServer, 3 * time.Second},
		{"retry after added", 0, &APIError{StatusCode: 429, RetryAfter: 4 * time.Second}, 5 * time.Second},
		{"retry after capped", 0, &APIError{StatusCode: 429, RetryAfter: time.Hour}, 11 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.delay(tt.n, tt.err); got != tt.want {
				t.Errorf("delay(%d) = %v, want %v", tt.n, got, tt.want)
			}
		})
	}
}

func TestFullJitterRange(t *testing.T) {
	const window = 50 * time.Millisecond
	seen := map[bool]int{}
	for range 200 {
		d := fullJitter(window)
		if d < 0 || d >= window {
			t.Fatalf("fullJitter(%v) = %v, outside [0, %v)", window, d, window)
		}
		seen[d < window/2]++
	}
	if seen[true] == 0 || seen[false] == 0 {
		t.Errorf("200 jittered delays all fell in one half of the window: %v", seen)
	}
}

func TestDeadlineStopsRetries(t *testing.T) {
	var count atomic.Int32
	client, _ := newTestClient(t, sequence(&count, 503), RetryPolicy{
		Deadline:  300 * time.Millisecond,
		BaseDelay: 20 * time.Millisecond,
		MaxDelay:  40 * time.Millisecond,
		sleep:     sleepContext,
	})

	start := time.Now()
	_, err := client.ReadObjectByName(context.Background(), "obj")
	elapsed := time.Since(start)

	var retryErr *RetryError
	if !errors.As(err, &retryErr) {
		t.Fatalf("error = %v, want a *RetryError", err)
	}
	if !errors.Is(err, ErrServer) {
		t.Errorf("error %v does not wrap the last attempt's ErrServer", err)
	}
	if retryErr.Attempts < 2 || int32(retryErr.Attempts) != count.Load() {
		t.Errorf("Attempts = %d, server saw %d; want at least 2 and equal", retryErr.Attempts, count.Load())
	}
	if elapsed > 5*time.Second {
		t.Errorf("call took %v, far past its 300ms deadline", elapsed)
	}
}

func TestAttemptTimeoutRetries(t *testing.T) {
	var count atomic.Int32
	client, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) == 1 {
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(objectJSON))
	}), RetryPolicy{AttemptTimeout: 100 * time.Millisecond})

	if _, err := client.ReadObjectByName(context.Background(), "obj"); err != nil {
		t.Fatalf("error = %v, want success on the second attempt", err)
	}
	if got := count.Load(); got != 2 {
		t.Errorf("attempts = %d, want 2", got)
	}
}

func TestInvalidResponses(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		kind    error
		text    string
	}{
		{"oversized body", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"value":"` + strings.Repeat("a", MaxResponseBytes) + `"}`))
		}, ErrInvalidResponse, "exceeds"},
		{"html 200", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>login</html>"))
		}, ErrInvalidResponse, "text/html"},
		{"json without value", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"x"}`))
		}, ErrInvalidResponse, `no "value"`},
		{"truncated json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":`))
		}, ErrInvalidResponse, "not the expected JSON"},
		{"html 502", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html>Bad Gateway</html>"))
		}, ErrServer, "non-JSON body (text/html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, _ := newTestClient(t, tt.handler, RetryPolicy{MaxAttempts: 2})
			_, err := client.ReadObjectByName(context.Background(), "obj")
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error = %v, want kind %v", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q does not contain %q", err, tt.text)
			}
		})
	}
}

func TestConnectionResetMidBody(t *testing.T) {
	var count atomic.Int32
	client, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if count.Add(1) > 1 {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(objectJSON))
			return
		}
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"id":"secret_01","va`))
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}), RetryPolicy{})

	if _, err := client.ReadObjectByName(context.Background(), "obj"); err != nil {
		t.Fatalf("error = %v, want success after the reset", err)
	}
	if got := count.Load(); got != 2 {
		t.Errorf("attempts = %d, want 2", got)
	}
}

func TestConnectionRefused(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := listener.Addr().String()
	_ = listener.Close()

	recorder := &sleepRecorder{}
	client, err := NewClient(Config{BaseURL: "http://" + addr, APIKey: testKey,
		Retry: RetryPolicy{MaxAttempts: 3, sleep: recorder.sleep}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.ReadObjectByName(context.Background(), "obj")
	if !errors.Is(err, ErrTransport) {
		t.Fatalf("error = %v, want ErrTransport", err)
	}
	if len(recorder.waits) != 2 {
		t.Errorf("waits = %d, want 2 (three attempts)", len(recorder.waits))
	}
	if strings.Contains(err.Error(), "http://") {
		t.Errorf("error %q repeats the URL", err)
	}
}

func TestCreateObject(t *testing.T) {
	var gotBody string
	client, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/vault/v1/kv" {
			t.Errorf("request = %s %s", r.Method, r.URL.Path)
		}
		gotBody = readAll(r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"secret_02","context":{"app":"relay"},"version_id":"ver_1"}`))
	}), RetryPolicy{})

	meta, err := client.CreateObject(context.Background(), CreateObjectRequest{
		Name: "new", Value: credentials.Secret(`{"k":"v"}`), KeyContext: map[string]string{"app": "relay"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if meta.ID != "secret_02" || meta.VersionID != "ver_1" {
		t.Errorf("metadata = %+v", meta)
	}
	want := `{"name":"new","value":"{\"k\":\"v\"}","key_context":{"app":"relay"}}`
	if gotBody != want {
		t.Errorf("body = %s, want %s", gotBody, want)
	}
}

func TestCreateObjectRetries(t *testing.T) {
	tests := []struct {
		name         string
		statuses     []int
		kind         error
		wantAttempts int32
	}{
		{"conflict is final", []int{409}, ErrConflict, 1},
		{"server error is not resent", []int{503, 201}, ErrServer, 1},
		{"rate limit is resent", []int{429, 409}, ErrConflict, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var count atomic.Int32
			client, _ := newTestClient(t, sequence(&count, tt.statuses...), RetryPolicy{MaxAttempts: 3})
			_, err := client.CreateObject(context.Background(), CreateObjectRequest{
				Name: "x", Value: "v", KeyContext: map[string]string{"a": "b"},
			})
			if !errors.Is(err, tt.kind) {
				t.Errorf("error = %v, want kind %v", err, tt.kind)
			}
			if got := count.Load(); got != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tt.wantAttempts)
			}
		})
	}
}

func readAll(r *http.Request) string {
	var b strings.Builder
	buf := make([]byte, 512)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

func TestParseBaseURL(t *testing.T) {
	tests := []struct {
		raw     string
		want    string
		wantErr string
	}{
		{"", DefaultBaseURL, ""},
		{"https://api.workos.com/", "https://api.workos.com", ""},
		{"https://proxy.example/workos/", "https://proxy.example/workos", ""},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", ""},
		{"http://[::1]:8080", "http://[::1]:8080", ""},
		{"http://localhost:9", "http://localhost:9", ""},
		{"http://api.workos.com", "", "only for loopback"},
		{"http://10.0.0.1", "", "only for loopback"},
		{"ftp://x", "", "scheme must be https"},
		{"api.workos.com", "", "absolute URL"},
		{"https://user:pw@api.workos.com", "", "user info"},
		{"https://api.workos.com?x=1", "", "query"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := ParseBaseURL(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pw@") {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.String() != tt.want {
				t.Errorf("ParseBaseURL(%q) = %q, want %q", tt.raw, u, tt.want)
			}
		})
	}
}

func TestNewClientRejectsBadKeys(t *testing.T) {
	for name, key := range map[string]credentials.Secret{"empty": "", "newline": "sk_test\nX-Evil: 1", "space": "sk test"} {
		t.Run(name, func(t *testing.T) {
			_, err := NewClient(Config{BaseURL: "http://127.0.0.1:1", APIKey: key})
			if err == nil {
				t.Fatal("NewClient() error = nil, want an error")
			}
			if key != "" && strings.Contains(err.Error(), key.Reveal()) {
				t.Errorf("error %q contains the key", err)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 7 ", 7 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"99999999999", 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.value, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

func TestStartJitterDelaysFirstAttempt(t *testing.T) {
	var count atomic.Int32
	client, recorder := newTestClient(t, sequence(&count, 200), RetryPolicy{StartJitter: 3 * time.Second})

	if _, err := client.ReadObjectByName(context.Background(), "obj"); err != nil {
		t.Fatal(err)
	}
	// The test's jitter returns the whole window.
	if len(recorder.waits) != 1 || recorder.waits[0] != 3*time.Second {
		t.Errorf("waits = %v, want one start delay of 3s", recorder.waits)
	}
}
