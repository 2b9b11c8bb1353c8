package fake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/internal/workos/fake"
)

func setFaults(t *testing.T, server *fake.Server, faults fake.Faults) {
	t.Helper()

	if err := server.SetFaults(faults); err != nil {
		t.Fatalf("SetFaults: %v", err)
	}
}

func TestStatusFaults(t *testing.T) {
	tests := []struct {
		name           string
		faults         fake.Faults
		wantStatus     int
		wantRetryAfter string
		wantRateLimit  bool
	}{
		{name: "unauthorized", faults: fake.Faults{Status: 401}, wantStatus: 401},
		{name: "forbidden", faults: fake.Faults{Status: 403}, wantStatus: 403},
		{name: "not found", faults: fake.Faults{Status: 404}, wantStatus: 404},
		{name: "internal error", faults: fake.Faults{Status: 500, RetryAfter: "3"}, wantStatus: 500},
		{name: "unavailable with retry-after", faults: fake.Faults{Status: 503, RetryAfter: "3"}, wantStatus: 503, wantRetryAfter: "3"},
		{name: "unavailable without retry-after", faults: fake.Faults{Status: 503}, wantStatus: 503},
		{name: "rate limited with retry-after", faults: fake.Faults{Status: 429, RetryAfter: "7"}, wantStatus: 429, wantRetryAfter: "7", wantRateLimit: true},
		{name: "rate limited as HTTP date", faults: fake.Faults{Status: 429, RetryAfter: "Wed, 21 Oct 2065 07:28:00 GMT"}, wantStatus: 429, wantRetryAfter: "Wed, 21 Oct 2065 07:28:00 GMT", wantRateLimit: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, baseURL := startServer(t)
			server.Put("x", "v")
			setFaults(t, server, tt.faults)

			got := send(t, "GET", baseURL+"/vault/v1/kv/name/x", "", "")

			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d", got.status, tt.wantStatus)
			}
			if retryAfter := got.header.Get("Retry-After"); retryAfter != tt.wantRetryAfter {
				t.Errorf("Retry-After = %q, want %q", retryAfter, tt.wantRetryAfter)
			}
			if contentType := got.header.Get("Content-Type"); contentType != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", contentType)
			}
			if tt.wantRateLimit {
				assertRateLimitBody(t, got)
				return
			}
			if message := errorMessage(t, got); message != http.StatusText(tt.wantStatus) {
				t.Errorf("error = %q, want %q", message, http.StatusText(tt.wantStatus))
			}
		})
	}
}

func assertRateLimitBody(t *testing.T, got response) {
	t.Helper()

	body := decode[map[string]string](t, got)
	if body["message"] != "Rate limit exceeded" {
		t.Errorf("message = %q, want Rate limit exceeded", body["message"])
	}
	if body["code"] != "rate_limit_exceeded" {
		t.Errorf("code = %q, want rate_limit_exceeded", body["code"])
	}
}

func TestStatusSequence(t *testing.T) {
	tests := []struct {
		name   string
		faults fake.Faults
		want   []int
	}{
		{name: "then normal", faults: fake.Faults{StatusSequence: []int{503, 503, 503}}, want: []int{503, 503, 503, 200, 200}},
		{name: "mixed statuses", faults: fake.Faults{StatusSequence: []int{500, 429, 502}}, want: []int{500, 429, 502, 200}},
		{name: "then status", faults: fake.Faults{StatusSequence: []int{503}, Status: 404}, want: []int{503, 404, 404}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, baseURL := startServer(t)
			server.Put("x", "v")
			setFaults(t, server, tt.faults)

			var statuses []int
			for range tt.want {
				statuses = append(statuses, send(t, "GET", baseURL+"/vault/v1/kv/name/x", "", "").status)
			}

			if !reflect.DeepEqual(statuses, tt.want) {
				t.Errorf("statuses = %v, want %v", statuses, tt.want)
			}
		})
	}
}

func TestHTMLError(t *testing.T) {
	tests := []struct {
		name   string
		status int
	}{
		{name: "bad gateway", status: 502},
		{name: "gateway timeout", status: 504},
		{name: "captive portal", status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, baseURL := startServer(t)
			server.Put("x", "v")
			setFaults(t, server, fake.Faults{HTMLError: tt.status})

			got := send(t, "GET", baseURL+"/vault/v1/kv/name/x", "", "")

			if got.status != tt.status {
				t.Errorf("status = %d, want %d", got.status, tt.status)
			}
			if contentType := got.header.Get("Content-Type"); !strings.HasPrefix(contentType, "text/html") {
				t.Errorf("Content-Type = %q, want text/html", contentType)
			}
			if !strings.Contains(string(got.body), "<html>") {
				t.Errorf("body %q is not an HTML page", got.body)
			}
			if json.Valid(got.body) {
				t.Error("body is valid JSON")
			}
		})
	}
}

func TestOversizedBody(t *testing.T) {
	tests := []struct {
		name      string
		size      int64
		wantValid bool
	}{
		{name: "under the smallest object", size: 5},
		{name: "smallest object", size: 12, wantValid: true},
		{name: "two megabytes", size: 2 << 20, wantValid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, baseURL := startServer(t)
			server.Put("x", "v")
			setFaults(t, server, fake.Faults{OversizedBody: tt.size})

			got := send(t, "GET", baseURL+"/vault/v1/kv/name/x", "", "")

			if got.status != 200 {
				t.Errorf("status = %d, want 200", got.status)
			}
			if int64(len(got.body)) != tt.size {
				t.Errorf("body is %d bytes, want %d", len(got.body), tt.size)
			}
			if json.Valid(got.body) != tt.wantValid {
				t.Errorf("body is valid JSON = %v, want %v", json.Valid(got.body), tt.wantValid)
			}
		})
	}
}

// readWithReset sends a request and returns the response status, 0 if none
// arrived, and the error of sending the request or of reading the body.
func readWithReset(t *testing.T, method, target, body string) (int, error) {
	t.Helper()

	request, err := http.NewRequestWithContext(t.Context(), method, target, strings.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	request.Header.Set("Authorization", "Bearer "+testKey)

	resp, err := http.DefaultClient.Do(request)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	return resp.StatusCode, err
}

func TestResetMidBody(t *testing.T) {
	server, baseURL := startServer(t)
	if _, err := server.PutGenerated("runlayer-sentry-credentials"); err != nil {
		t.Fatalf("PutGenerated: %v", err)
	}
	setFaults(t, server, fake.Faults{ResetMidBody: true})

	status, err := readWithReset(t, "GET", baseURL+"/vault/v1/kv/name/runlayer-sentry-credentials", "")

	if status != 200 {
		t.Errorf("status = %d, want 200 before the reset", status)
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("error = %v, want a connection reset", err)
	}
	if stats := waitForRequests(server, 1); stats.ByStatus[200] != 1 {
		t.Errorf("stats by status = %v, want one 200", stats.ByStatus)
	}
}

// waitForRequests returns the stats once they count n requests, or after 5s.
// The server counts a request after its handler returns, which can be after
// the client has seen a reset.
func waitForRequests(server *fake.Server, n int64) fake.Stats {
	deadline := time.Now().Add(5 * time.Second)
	for {
		stats := server.Stats()
		if stats.Requests >= n || time.Now().After(deadline) {
			return stats
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestResetMidBodyKeepsEffect(t *testing.T) {
	server, baseURL := startServer(t)
	setFaults(t, server, fake.Faults{ResetMidBody: true})

	_, err := readWithReset(t, "POST", baseURL+"/vault/v1/kv", `{"name":"created","value":"v","key_context":{"k":"v"}}`)

	if err == nil {
		t.Fatal("reading the response succeeded, want a connection error")
	}
	if _, ok := server.Get("created"); !ok {
		t.Error("object was not created")
	}
}

func TestLatency(t *testing.T) {
	server, baseURL := startServer(t)
	server.Put("x", "v")
	setFaults(t, server, fake.Faults{Latency: 150 * time.Millisecond})

	start := time.Now()
	got := send(t, "GET", baseURL+"/vault/v1/kv/name/x", "", "")
	elapsed := time.Since(start)

	if got.status != 200 {
		t.Errorf("status = %d, want 200", got.status)
	}
	if elapsed < 150*time.Millisecond {
		t.Errorf("request took %s, want at least 150ms", elapsed)
	}
}

func TestLatencyClientGivesUp(t *testing.T) {
	server, baseURL := startServer(t)
	setFaults(t, server, fake.Faults{Latency: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	request, err := http.NewRequestWithContext(ctx, "GET", baseURL+"/vault/v1/kv", nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}

	resp, err := http.DefaultClient.Do(request)

	if err == nil {
		resp.Body.Close()
		t.Fatalf("request succeeded with status %d, want a timeout", resp.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want context.DeadlineExceeded", err)
	}
}

func TestShutdownEndsLatencyWait(t *testing.T) {
	server := fake.New(testKey)
	baseURL, shutdown, err := server.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	setFaults(t, server, fake.Faults{Latency: time.Minute})

	requestErr := make(chan error, 1)
	go func() {
		resp, err := http.Get(baseURL + "/vault/v1/kv")
		if err == nil {
			resp.Body.Close()
		}
		requestErr <- err
	}()
	// Give the request time to reach the latency wait. If it has not, it
	// fails to connect, and the checks below still hold.
	time.Sleep(200 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}

	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("shutdown took %s with a request waiting, want under 5s", elapsed)
	}
	if err := <-requestErr; err == nil {
		t.Error("delayed request succeeded, want a connection error")
	}
}

func TestOutage(t *testing.T) {
	server, baseURL := startServer(t)
	server.Put("x", "v")
	start := time.Now()
	setFaults(t, server, fake.Faults{Outage: 300 * time.Millisecond})

	during := send(t, "GET", baseURL+"/vault/v1/kv/name/x", "", "")
	if during.status != 503 {
		t.Fatalf("during the outage: status = %d, want 503", during.status)
	}

	status := 0
	for time.Since(start) < 10*time.Second {
		status = send(t, "GET", baseURL+"/vault/v1/kv/name/x", "", "").status
		if status != 503 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if status != 200 {
		t.Fatalf("after the outage: status = %d, want 200", status)
	}
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond {
		t.Errorf("outage ended after %s, want at least 300ms", elapsed)
	}
}

func TestRateLimit(t *testing.T) {
	server, baseURL := startServer(t)
	server.Put("x", "v")
	setFaults(t, server, fake.Faults{RateLimit: 5, RateBurst: 5})

	var statuses []int
	limited := 0
	for range 20 {
		got := send(t, "GET", baseURL+"/vault/v1/kv/name/x", "", "")
		statuses = append(statuses, got.status)
		if got.status != 429 {
			continue
		}
		limited++
		assertRateLimitBody(t, got)
		seconds, err := strconv.Atoi(got.header.Get("Retry-After"))
		if err != nil || seconds < 1 {
			t.Errorf("Retry-After = %q, want whole seconds of at least 1", got.header.Get("Retry-After"))
		}
	}

	if limited == 0 {
		t.Fatalf("statuses = %v, want some 429", statuses)
	}
	for i, status := range statuses[:5] {
		if status != 200 {
			t.Errorf("request %d within the burst: status = %d, want 200", i, status)
		}
	}
	if stats := server.Stats(); stats.RateLimited != int64(limited) {
		t.Errorf("stats.RateLimited = %d, want %d", stats.RateLimited, limited)
	}
}

func TestRateLimitRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		faults fake.Faults
		want   []string
	}{
		{name: "computed from the refill time", faults: fake.Faults{RateLimit: 0.1}, want: []string{"9", "10"}},
		{name: "set by RetryAfter", faults: fake.Faults{RateLimit: 0.1, RetryAfter: "42"}, want: []string{"42"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, baseURL := startServer(t)
			setFaults(t, server, tt.faults)

			first := send(t, "GET", baseURL+"/vault/v1/kv", "", "")
			second := send(t, "GET", baseURL+"/vault/v1/kv", "", "")

			if first.status != 200 {
				t.Errorf("first request: status = %d, want 200", first.status)
			}
			if second.status != 429 {
				t.Fatalf("second request: status = %d, want 429", second.status)
			}
			retryAfter := second.header.Get("Retry-After")
			if !strings.Contains(" "+strings.Join(tt.want, " ")+" ", " "+retryAfter+" ") {
				t.Errorf("Retry-After = %q, want one of %v", retryAfter, tt.want)
			}
		})
	}
}

func TestFaultOrder(t *testing.T) {
	tests := []struct {
		name          string
		faults        fake.Faults
		authorization string
		wantStatuses  []int
	}{
		{name: "status before key check", faults: fake.Faults{Status: 503}, authorization: "Bearer wrong", wantStatuses: []int{503}},
		{name: "HTML before key check", faults: fake.Faults{HTMLError: 502}, authorization: "Bearer wrong", wantStatuses: []int{502}},
		{name: "key check before rate limit", faults: fake.Faults{RateLimit: 0.001}, authorization: "Bearer wrong", wantStatuses: []int{401, 401, 401}},
		{name: "rate limit before oversized body", faults: fake.Faults{RateLimit: 0.001, OversizedBody: 100}, wantStatuses: []int{200, 429}},
		{name: "sequence before HTML", faults: fake.Faults{StatusSequence: []int{500}, HTMLError: 502}, wantStatuses: []int{500, 502}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, baseURL := startServer(t)
			setFaults(t, server, tt.faults)

			var statuses []int
			for range tt.wantStatuses {
				statuses = append(statuses, send(t, "GET", baseURL+"/vault/v1/kv", "", tt.authorization).status)
			}

			if !reflect.DeepEqual(statuses, tt.wantStatuses) {
				t.Errorf("statuses = %v, want %v", statuses, tt.wantStatuses)
			}
		})
	}
}

func TestFaultsSkipControlAPI(t *testing.T) {
	server, baseURL := startServer(t)
	setFaults(t, server, fake.Faults{Status: 503, Latency: time.Minute})

	got := send(t, "GET", baseURL+"/_fake/stats", "", "")

	if got.status != 200 {
		t.Errorf("status = %d, want 200", got.status)
	}
}

func TestSetFaultsValidation(t *testing.T) {
	tests := []struct {
		name    string
		faults  fake.Faults
		wantErr string
	}{
		{name: "zero value", faults: fake.Faults{}},
		{name: "all valid", faults: fake.Faults{Latency: time.Second, Status: 503, StatusSequence: []int{429}, RetryAfter: "1", OversizedBody: 10, HTMLError: 502, RateLimit: 1, RateBurst: 2, Outage: time.Second}},
		{name: "negative latency", faults: fake.Faults{Latency: -time.Second}, wantErr: "latency -1s is negative"},
		{name: "success status", faults: fake.Faults{Status: 200}, wantErr: "status 200 is not an error status from 400 to 599"},
		{name: "success status in sequence", faults: fake.Faults{StatusSequence: []int{503, 204}}, wantErr: "status sequence entry 1 (204) is not an error status from 400 to 599"},
		{name: "HTML status out of range", faults: fake.Faults{HTMLError: 600}, wantErr: "HTML error status 600 is not from 200 to 599"},
		{name: "newline in retry-after", faults: fake.Faults{RetryAfter: "1\r\nX-Injected: 1"}, wantErr: "retry-after contains a control character"},
		{name: "negative body size", faults: fake.Faults{OversizedBody: -1}, wantErr: "oversized body size -1 is negative"},
		{name: "negative rate", faults: fake.Faults{RateLimit: -1}, wantErr: "rate limit -1 is not a finite number"},
		{name: "burst without rate", faults: fake.Faults{RateBurst: 3}, wantErr: "rate burst is set without a rate limit"},
		{name: "negative outage", faults: fake.Faults{Outage: -time.Second}, wantErr: "outage -1s is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := fake.New(testKey)
			setFaults(t, server, fake.Faults{Status: 418})

			err := server.SetFaults(tt.faults)

			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("SetFaults: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("SetFaults error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestInvalidFaultsChangeNothing(t *testing.T) {
	server, baseURL := startServer(t)
	setFaults(t, server, fake.Faults{Status: 418})

	if err := server.SetFaults(fake.Faults{Status: 200}); err == nil {
		t.Fatal("SetFaults accepted status 200")
	}

	if got := send(t, "GET", baseURL+"/vault/v1/kv", "", ""); got.status != 418 {
		t.Errorf("status = %d, want the earlier fault 418", got.status)
	}
}

func TestFaultsJSONRoundTrip(t *testing.T) {
	faults := fake.Faults{
		Latency:        1500 * time.Millisecond,
		Status:         503,
		StatusSequence: []int{500, 502},
		RetryAfter:     "2",
		ResetMidBody:   true,
		OversizedBody:  1024,
		HTMLError:      502,
		RateLimit:      2.5,
		RateBurst:      3,
		Outage:         time.Minute,
	}

	data, err := json.Marshal(faults)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var decoded fake.Faults
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatalf("Unmarshal %s: %v", data, err)
	}

	if !strings.Contains(string(data), `"latency":"1.5s"`) {
		t.Errorf("JSON %s does not contain latency as a duration string", data)
	}
	if !reflect.DeepEqual(decoded, faults) {
		t.Errorf("round trip = %+v, want %+v", decoded, faults)
	}
}

func TestControlAPI(t *testing.T) {
	server, baseURL := startServer(t)
	server.Put("x", "v")

	put := send(t, "PUT", baseURL+"/_fake/faults", `{"status_sequence":[503],"retry_after":"2","latency":"1ms"}`, "")
	if put.status != 200 {
		t.Fatalf("PUT faults: status = %d, want 200 (body %s)", put.status, put.body)
	}

	faulted := send(t, "GET", baseURL+"/vault/v1/kv/name/x", "", "")
	if faulted.status != 503 {
		t.Errorf("first request: status = %d, want 503", faulted.status)
	}
	if retryAfter := faulted.header.Get("Retry-After"); retryAfter != "2" {
		t.Errorf("first request: Retry-After = %q, want 2", retryAfter)
	}

	active := decode[map[string]any](t, send(t, "GET", baseURL+"/_fake/faults", "", ""))
	if _, ok := active["status_sequence"]; ok {
		t.Errorf("active faults %v still contain the used status sequence", active)
	}
	if active["latency"] != "1ms" {
		t.Errorf("active latency = %v, want 1ms", active["latency"])
	}

	cleared := send(t, "PUT", baseURL+"/_fake/faults", `{}`, "")
	if cleared.status != 200 {
		t.Errorf("clear faults: status = %d, want 200", cleared.status)
	}
	if got := send(t, "GET", baseURL+"/vault/v1/kv/name/x", "", ""); got.status != 200 {
		t.Errorf("after clearing: status = %d, want 200", got.status)
	}
}

func TestControlAPIErrors(t *testing.T) {
	_, baseURL := startServer(t)

	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantError  string
	}{
		{name: "duration not a string", method: "PUT", path: "/_fake/faults", body: `{"latency":2}`, wantStatus: 400},
		{name: "duration without unit", method: "PUT", path: "/_fake/faults", body: `{"latency":"2"}`, wantStatus: 400},
		{name: "unknown field", method: "PUT", path: "/_fake/faults", body: `{"stauts":503}`, wantStatus: 400},
		{name: "malformed JSON", method: "PUT", path: "/_fake/faults", body: `{`, wantStatus: 400},
		{name: "invalid status", method: "PUT", path: "/_fake/faults", body: `{"status":200}`, wantStatus: 422, wantError: "invalid faults: status 200 is not an error status from 400 to 599"},
		{name: "post faults", method: "POST", path: "/_fake/faults", body: `{}`, wantStatus: 405},
		{name: "post stats", method: "POST", path: "/_fake/stats", body: `{}`, wantStatus: 405},
		{name: "unknown path", method: "GET", path: "/_fake/other", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, tt.method, baseURL+tt.path, tt.body, "")

			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", got.status, tt.wantStatus, got.body)
			}
			message := errorMessage(t, got)
			if tt.wantError != "" && message != tt.wantError {
				t.Errorf("error = %q, want %q", message, tt.wantError)
			}
		})
	}
}

func TestStats(t *testing.T) {
	server, baseURL := startServer(t)
	server.Put("x", "v")

	send(t, "GET", baseURL+"/vault/v1/kv/name/x", "", "")
	send(t, "GET", baseURL+"/vault/v1/kv/name/x", "", "")
	send(t, "GET", baseURL+"/vault/v1/kv/name/missing", "", "")
	send(t, "GET", baseURL+"/vault/v1/kv/name/x", "", "Bearer wrong")
	remote := decode[map[string]any](t, send(t, "GET", baseURL+"/_fake/stats", "", ""))
	stats := server.Stats()

	if stats.Requests != 4 {
		t.Errorf("Requests = %d, want 4 (control API requests are not counted)", stats.Requests)
	}
	wantByStatus := map[int]int64{200: 2, 404: 1, 401: 1}
	if !reflect.DeepEqual(stats.ByStatus, wantByStatus) {
		t.Errorf("ByStatus = %v, want %v", stats.ByStatus, wantByStatus)
	}
	wantByPath := map[string]int64{"/vault/v1/kv/name/x": 3, "/vault/v1/kv/name/missing": 1}
	if !reflect.DeepEqual(stats.ByPath, wantByPath) {
		t.Errorf("ByPath = %v, want %v", stats.ByPath, wantByPath)
	}
	if remote["requests"] != float64(4) {
		t.Errorf("GET /_fake/stats requests = %v, want 4", remote["requests"])
	}
	byStatus, _ := remote["by_status"].(map[string]any)
	if byStatus["200"] != float64(2) {
		t.Errorf("GET /_fake/stats by_status = %v, want 200: 2", remote["by_status"])
	}
}

func TestConcurrentUse(t *testing.T) {
	server, baseURL := startServer(t)
	setFaults(t, server, fake.Faults{RateLimit: 1000, RateBurst: 1000})

	// get reports errors with t.Errorf, because t.Fatalf must not be called
	// outside the test goroutine.
	get := func(path string) {
		request, err := http.NewRequestWithContext(t.Context(), "GET", baseURL+path, nil)
		if err != nil {
			t.Errorf("new request: %v", err)
			return
		}
		request.Header.Set("Authorization", "Bearer "+testKey)
		resp, err := http.DefaultClient.Do(request)
		if err != nil {
			t.Errorf("GET %s: %v", path, err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: status = %d, want 200", path, resp.StatusCode)
		}
	}

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			name := "object-" + strconv.Itoa(i)
			for range 20 {
				server.Put(name, "v")
				get("/vault/v1/kv/name/" + name)
				get("/vault/v1/kv?limit=5")
				server.Stats()
			}
		})
	}
	wg.Wait()

	if got := server.Stats().Requests; got != 8*20*2 {
		t.Errorf("Requests = %d, want %d", got, 8*20*2)
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	tests := []struct {
		name        string
		addr        string
		wantPrefix  string
		notLoopback bool
	}{
		{name: "IPv4 loopback", addr: "127.0.0.1:0", wantPrefix: "http://127.0.0.1:"},
		{name: "localhost", addr: "localhost:0", wantPrefix: "http://127.0.0.1:"},
		{name: "all interfaces", addr: "0.0.0.0:0", notLoopback: true},
		{name: "empty host", addr: ":0", notLoopback: true},
		{name: "IPv6 all interfaces", addr: "[::]:0", notLoopback: true},
		{name: "documentation address", addr: "192.0.2.1:0", notLoopback: true},
		{name: "host name", addr: "example.com:0", notLoopback: true},
		{name: "missing port", addr: "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			baseURL, shutdown, err := fake.New(testKey).Listen(tt.addr)

			if tt.wantPrefix != "" {
				if err != nil {
					t.Fatalf("Listen: %v", err)
				}
				defer func() { _ = shutdown(context.Background()) }()
				if !strings.HasPrefix(baseURL, tt.wantPrefix) {
					t.Errorf("base URL = %q, want prefix %q", baseURL, tt.wantPrefix)
				}
				return
			}
			if err == nil {
				_ = shutdown(context.Background())
				t.Fatalf("Listen(%q) succeeded, want an error", tt.addr)
			}
			if errors.Is(err, fake.ErrNotLoopback) != tt.notLoopback {
				t.Errorf("errors.Is(%v, ErrNotLoopback) = %v, want %v", err, !tt.notLoopback, tt.notLoopback)
			}
		})
	}
}
