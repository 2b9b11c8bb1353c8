package fake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
	"github.com/helm-vault-relay/helm-vault-relay/internal/workos/fake"
)

const testKey = "sk_test_fake_vault_key"

var (
	objectIDPattern  = regexp.MustCompile(`^secret_[0-9A-Z]{26}$`)
	versionIDPattern = regexp.MustCompile(`^ver_[0-9A-Z]{26}$`)
)

// startServer serves a new fake on 127.0.0.1 and shuts it down when the test
// ends.
func startServer(t *testing.T) (*fake.Server, string) {
	t.Helper()

	server := fake.New(testKey)
	baseURL, shutdown, err := server.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return server, baseURL
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// send makes one request with the test key, or with authorization as the
// whole Authorization header when it is not "".
func send(t *testing.T, method, target, body, authorization string) response {
	t.Helper()

	request, err := http.NewRequestWithContext(t.Context(), method, target, strings.NewReader(body))
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, target, err)
	}
	if authorization == "" {
		authorization = "Bearer " + testKey
	}
	request.Header.Set("Authorization", authorization)
	if body != "" {
		request.Header.Set("Content-Type", "application/json")
	}

	resp, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of %s %s: %v", method, target, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()

	var value T
	if err := json.Unmarshal(r.body, &value); err != nil {
		t.Fatalf("decode body %q: %v", r.body, err)
	}
	return value
}

// errorMessage returns the "error" field of a Vault error body.
func errorMessage(t *testing.T, r response) string {
	t.Helper()

	body := decode[map[string]any](t, r)
	message, ok := body["error"].(string)
	if !ok {
		t.Fatalf("body %s has no string field \"error\"", r.body)
	}
	return message
}

func TestReadRoutes(t *testing.T) {
	server, baseURL := startServer(t)
	plain := server.Put("runlayer-sentry-credentials", `{"id":"plain"}`)
	slashed := server.Put("team/relay credentials", "slashed value")

	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantID     string
		wantValue  string
		wantError  string
	}{
		{name: "by name", method: "GET", path: "/vault/v1/kv/name/runlayer-sentry-credentials", wantStatus: 200, wantID: plain.ID, wantValue: plain.Value},
		{name: "by escaped name with slash", method: "GET", path: "/vault/v1/kv/name/" + url.PathEscape("team/relay credentials"), wantStatus: 200, wantID: slashed.ID, wantValue: "slashed value"},
		{name: "by id", method: "GET", path: "/vault/v1/kv/" + plain.ID, wantStatus: 200, wantID: plain.ID, wantValue: plain.Value},
		{name: "unknown name", method: "GET", path: "/vault/v1/kv/name/missing", wantStatus: 404, wantError: `object named "missing" not found`},
		{name: "unescaped slash in name", method: "GET", path: "/vault/v1/kv/name/team/relay", wantStatus: 404, wantError: "no route for path /vault/v1/kv/name/team/relay"},
		{name: "unknown id", method: "GET", path: "/vault/v1/kv/secret_00000000000000000000000000", wantStatus: 404, wantError: "object secret_00000000000000000000000000 not found"},
		{name: "unknown route", method: "GET", path: "/vault/v2/other", wantStatus: 404, wantError: "no route for path /vault/v2/other"},
		{name: "path outside vault", method: "GET", path: "/", wantStatus: 404, wantError: "no route for path /"},
		{name: "delete by name not allowed", method: "DELETE", path: "/vault/v1/kv/name/runlayer-sentry-credentials", wantStatus: 405, wantError: "method not allowed: use GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, tt.method, baseURL+tt.path, "", "")

			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", got.status, tt.wantStatus, got.body)
			}
			if contentType := got.header.Get("Content-Type"); contentType != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", contentType)
			}
			if got.header.Get("X-Request-ID") == "" {
				t.Error("X-Request-ID header is missing")
			}
			if tt.wantStatus != 200 {
				if tt.wantError != "" {
					if message := errorMessage(t, got); message != tt.wantError {
						t.Errorf("error = %q, want %q", message, tt.wantError)
					}
				}
				return
			}

			object := decode[fake.Object](t, got)
			if object.ID != tt.wantID {
				t.Errorf("id = %q, want %q", object.ID, tt.wantID)
			}
			if object.Value != tt.wantValue {
				t.Errorf("value = %q, want %q", object.Value, tt.wantValue)
			}
			if object.Metadata.ID != tt.wantID {
				t.Errorf("metadata.id = %q, want %q", object.Metadata.ID, tt.wantID)
			}
		})
	}
}

// TestEscapedSlashStaysOneSegment checks that "a%2Fb" reaches the object
// named "a/b", not a route below the object named "a".
func TestEscapedSlashStaysOneSegment(t *testing.T) {
	server, baseURL := startServer(t)
	server.Put("a/b", "nested")
	server.Put("a", "parent")

	got := send(t, "GET", baseURL+"/vault/v1/kv/name/a%2Fb", "", "")

	if got.status != 200 {
		t.Fatalf("status = %d, want 200 (body %s)", got.status, got.body)
	}
	if object := decode[fake.Object](t, got); object.Value != "nested" {
		t.Errorf("value = %q, want %q", object.Value, "nested")
	}
}

func TestObjectBodyShape(t *testing.T) {
	server, baseURL := startServer(t)
	stored := server.Put("shape", "v")

	got := send(t, "GET", baseURL+"/vault/v1/kv/name/shape", "", "")
	body := decode[map[string]any](t, got)

	for _, field := range []string{"id", "name", "value", "metadata"} {
		if _, ok := body[field]; !ok {
			t.Errorf("object has no field %q", field)
		}
	}
	metadata, ok := body["metadata"].(map[string]any)
	if !ok {
		t.Fatalf("metadata is %T, want an object", body["metadata"])
	}
	for _, field := range []string{"id", "environment_id", "key_id", "context", "updated_at", "updated_by", "version_id"} {
		if _, ok := metadata[field]; !ok {
			t.Errorf("metadata has no field %q", field)
		}
	}
	updatedBy, ok := metadata["updated_by"].(map[string]any)
	if !ok {
		t.Fatalf("updated_by is %T, want an object", metadata["updated_by"])
	}
	if _, ok := updatedBy["id"].(string); !ok {
		t.Errorf("updated_by.id is %T, want a string", updatedBy["id"])
	}
	if _, ok := updatedBy["name"].(string); !ok {
		t.Errorf("updated_by.name is %T, want a string", updatedBy["name"])
	}
	if !objectIDPattern.MatchString(stored.ID) {
		t.Errorf("object id %q does not match %s", stored.ID, objectIDPattern)
	}
	if !versionIDPattern.MatchString(stored.Metadata.VersionID) {
		t.Errorf("version id %q does not match %s", stored.Metadata.VersionID, versionIDPattern)
	}
	updatedAt, _ := metadata["updated_at"].(string)
	if _, err := time.Parse(time.RFC3339, updatedAt); err != nil {
		t.Errorf("updated_at %q is not RFC 3339: %v", updatedAt, err)
	}
}

func TestMetadataRoute(t *testing.T) {
	server, baseURL := startServer(t)
	stored := server.Put("described", "hidden value")

	got := send(t, "GET", baseURL+"/vault/v1/kv/"+stored.ID+"/metadata", "", "")

	if got.status != 200 {
		t.Fatalf("status = %d, want 200 (body %s)", got.status, got.body)
	}
	body := decode[map[string]any](t, got)
	if _, ok := body["value"]; ok {
		t.Error("metadata response contains the value")
	}
	if bytes.Contains(got.body, []byte("hidden value")) {
		t.Error("metadata response body contains the stored value")
	}
	object := decode[fake.Object](t, got)
	if object.Metadata.VersionID != stored.Metadata.VersionID {
		t.Errorf("version_id = %q, want %q", object.Metadata.VersionID, stored.Metadata.VersionID)
	}

	missing := send(t, "GET", baseURL+"/vault/v1/kv/secret_none/metadata", "", "")
	if missing.status != 404 {
		t.Errorf("unknown id: status = %d, want 404", missing.status)
	}
}

func TestAuthorization(t *testing.T) {
	server, baseURL := startServer(t)
	server.Put("guarded", "v")

	tests := []struct {
		name          string
		path          string
		authorization string
		wantStatus    int
	}{
		{name: "valid key", path: "/vault/v1/kv/name/guarded", authorization: "Bearer " + testKey, wantStatus: 200},
		{name: "lowercase scheme", path: "/vault/v1/kv/name/guarded", authorization: "bearer " + testKey, wantStatus: 200},
		{name: "wrong key", path: "/vault/v1/kv/name/guarded", authorization: "Bearer sk_test_other", wantStatus: 401},
		{name: "basic scheme", path: "/vault/v1/kv/name/guarded", authorization: "Basic " + testKey, wantStatus: 401},
		{name: "key without scheme", path: "/vault/v1/kv/name/guarded", authorization: testKey, wantStatus: 401},
		{name: "empty bearer", path: "/vault/v1/kv/name/guarded", authorization: "Bearer ", wantStatus: 401},
		{name: "control API wrong key", path: "/_fake/stats", authorization: "Bearer sk_test_other", wantStatus: 401},
		{name: "control API valid key", path: "/_fake/stats", authorization: "Bearer " + testKey, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, "GET", baseURL+tt.path, "", tt.authorization)

			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", got.status, tt.wantStatus, got.body)
			}
			if tt.wantStatus == 401 {
				if message := errorMessage(t, got); message != "Unauthorized" {
					t.Errorf("error = %q, want Unauthorized", message)
				}
			}
		})
	}
}

func TestMissingAuthorizationHeader(t *testing.T) {
	server, baseURL := startServer(t)
	server.Put("guarded", "v")

	resp, err := http.Get(baseURL + "/vault/v1/kv/name/guarded")
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	resp.Body.Close()

	if resp.StatusCode != 401 {
		t.Errorf("status = %d, want 401", resp.StatusCode)
	}
}

func TestEmptyAPIKeyRejectsAll(t *testing.T) {
	server := fake.New("")
	baseURL, shutdown, err := server.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })
	server.Put("x", "v")

	got := send(t, "GET", baseURL+"/vault/v1/kv/name/x", "", "Bearer ")

	if got.status != 401 {
		t.Errorf("status = %d, want 401", got.status)
	}
}

func TestCreate(t *testing.T) {
	server, baseURL := startServer(t)
	server.Put("existing", "v")

	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantError  string
	}{
		{name: "valid", body: `{"name":"new","value":"secret","key_context":{"organization_id":"org_1"}}`, wantStatus: 201},
		{name: "name with slash", body: `{"name":"team/new","value":"","key_context":{"k":"v"}}`, wantStatus: 201},
		{name: "name of 200 characters", body: fmt.Sprintf(`{"name":%q,"value":"v","key_context":{"k":"v"}}`, strings.Repeat("n", 200)), wantStatus: 201},
		{name: "name of 201 characters", body: fmt.Sprintf(`{"name":%q,"value":"v","key_context":{"k":"v"}}`, strings.Repeat("n", 201)), wantStatus: 422, wantError: "name must be at most 200 characters"},
		{name: "existing name", body: `{"name":"existing","value":"v","key_context":{"k":"v"}}`, wantStatus: 409, wantError: `an object named "existing" already exists`},
		{name: "missing name", body: `{"value":"v","key_context":{"k":"v"}}`, wantStatus: 422, wantError: "name is required"},
		{name: "empty name", body: `{"name":"","value":"v","key_context":{"k":"v"}}`, wantStatus: 422, wantError: "name is required"},
		{name: "missing value", body: `{"name":"n1","key_context":{"k":"v"}}`, wantStatus: 422, wantError: "value is required"},
		{name: "missing key context", body: `{"name":"n2","value":"v"}`, wantStatus: 422, wantError: "key_context is required and must contain at least one entry"},
		{name: "empty key context", body: `{"name":"n3","value":"v","key_context":{}}`, wantStatus: 422, wantError: "key_context is required and must contain at least one entry"},
		{name: "number in key context", body: `{"name":"n4","value":"v","key_context":{"k":1}}`, wantStatus: 422},
		{name: "value not a string", body: `{"name":"n5","value":{"a":1},"key_context":{"k":"v"}}`, wantStatus: 422},
		{name: "malformed JSON", body: `{"name":`, wantStatus: 400, wantError: "request body is not a valid JSON object"},
		{name: "empty body", body: ``, wantStatus: 400, wantError: "request body is empty"},
		{name: "JSON array", body: `[]`, wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, "POST", baseURL+"/vault/v1/kv", tt.body, "")

			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", got.status, tt.wantStatus, got.body)
			}
			if tt.wantStatus != 201 {
				message := errorMessage(t, got)
				if tt.wantError != "" && message != tt.wantError {
					t.Errorf("error = %q, want %q", message, tt.wantError)
				}
				return
			}

			metadata := decode[fake.Metadata](t, got)
			if !objectIDPattern.MatchString(metadata.ID) {
				t.Errorf("id %q does not match %s", metadata.ID, objectIDPattern)
			}
			if !versionIDPattern.MatchString(metadata.VersionID) {
				t.Errorf("version_id %q does not match %s", metadata.VersionID, versionIDPattern)
			}
			if len(metadata.Context) == 0 {
				t.Error("context is empty")
			}
		})
	}
}

func TestCreateThenRead(t *testing.T) {
	_, baseURL := startServer(t)

	created := send(t, "POST", baseURL+"/vault/v1/kv", `{"name":"team/app","value":"s3cr3t","key_context":{"organization_id":"org_1"}}`, "")
	if created.status != 201 {
		t.Fatalf("create: status = %d, want 201 (body %s)", created.status, created.body)
	}
	metadata := decode[fake.Metadata](t, created)

	read := send(t, "GET", baseURL+"/vault/v1/kv/name/team%2Fapp", "", "")
	if read.status != 200 {
		t.Fatalf("read: status = %d, want 200 (body %s)", read.status, read.body)
	}
	object := decode[fake.Object](t, read)
	if object.ID != metadata.ID {
		t.Errorf("id = %q, want %q", object.ID, metadata.ID)
	}
	if object.Value != "s3cr3t" {
		t.Errorf("value = %q, want s3cr3t", object.Value)
	}
	if object.Metadata.Context["organization_id"] != "org_1" {
		t.Errorf("context = %v, want organization_id org_1", object.Metadata.Context)
	}
}

func TestUpdate(t *testing.T) {
	server, baseURL := startServer(t)

	tests := []struct {
		name       string
		body       func(current fake.Object) string
		id         func(current fake.Object) string
		wantStatus int
		wantError  string
	}{
		{
			name:       "without version check",
			body:       func(fake.Object) string { return `{"value":"v2"}` },
			wantStatus: 201,
		},
		{
			name: "matching version check",
			body: func(o fake.Object) string {
				return fmt.Sprintf(`{"value":"v2","version_check":%q}`, o.Metadata.VersionID)
			},
			wantStatus: 201,
		},
		{
			name:       "stale version check",
			body:       func(fake.Object) string { return `{"value":"v2","version_check":"ver_STALE"}` },
			wantStatus: 409,
		},
		{
			name:       "unknown id",
			body:       func(fake.Object) string { return `{"value":"v2"}` },
			id:         func(fake.Object) string { return "secret_UNKNOWN" },
			wantStatus: 404,
			wantError:  "object secret_UNKNOWN not found",
		},
		{
			name:       "missing value",
			body:       func(fake.Object) string { return `{"version_check":"x"}` },
			wantStatus: 422,
			wantError:  "value is required",
		},
		{
			name:       "malformed JSON",
			body:       func(fake.Object) string { return `{"value":` },
			wantStatus: 400,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			current := server.Put("updated", "v1")
			id := current.ID
			if tt.id != nil {
				id = tt.id(current)
			}

			got := send(t, "PUT", baseURL+"/vault/v1/kv/"+id, tt.body(current), "")

			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", got.status, tt.wantStatus, got.body)
			}
			stored, _ := server.Get("updated")
			if tt.wantStatus != 201 {
				if tt.wantError != "" {
					if message := errorMessage(t, got); message != tt.wantError {
						t.Errorf("error = %q, want %q", message, tt.wantError)
					}
				}
				if stored.Value != "v1" {
					t.Errorf("stored value = %q after a failed update, want v1", stored.Value)
				}
				return
			}

			object := decode[fake.Object](t, got)
			if object.Metadata.VersionID == current.Metadata.VersionID {
				t.Error("version_id did not change")
			}
			if object.Metadata.VersionID != stored.Metadata.VersionID {
				t.Errorf("version_id = %q, stored %q", object.Metadata.VersionID, stored.Metadata.VersionID)
			}
			if stored.Value != "v2" {
				t.Errorf("stored value = %q, want v2", stored.Value)
			}
		})
	}
}

func TestVersionCheckConflictAfterUpdate(t *testing.T) {
	server, baseURL := startServer(t)
	original := server.Put("raced", "v1")
	update := fmt.Sprintf(`{"value":"%%s","version_check":%q}`, original.Metadata.VersionID)

	first := send(t, "PUT", baseURL+"/vault/v1/kv/"+original.ID, fmt.Sprintf(update, "first"), "")
	second := send(t, "PUT", baseURL+"/vault/v1/kv/"+original.ID, fmt.Sprintf(update, "second"), "")

	if first.status != 201 {
		t.Errorf("first update: status = %d, want 201", first.status)
	}
	if second.status != 409 {
		t.Errorf("second update: status = %d, want 409", second.status)
	}
	if stored, _ := server.Get("raced"); stored.Value != "first" {
		t.Errorf("stored value = %q, want first", stored.Value)
	}
}

type listBody struct {
	Data []struct {
		ID        string    `json:"id"`
		Name      string    `json:"name"`
		UpdatedAt time.Time `json:"updated_at"`
	} `json:"data"`
	ListMetadata struct {
		Before *string `json:"before"`
		After  *string `json:"after"`
	} `json:"list_metadata"`
}

func (b listBody) names() []string {
	names := make([]string, len(b.Data))
	for i, item := range b.Data {
		names[i] = item.Name
	}
	return names
}

func TestList(t *testing.T) {
	server, baseURL := startServer(t)
	ids := map[string]string{}
	for _, name := range []string{"o1", "o2", "o3", "o4", "o5"} {
		ids[name] = server.Put(name, "v").ID
	}

	tests := []struct {
		name       string
		query      string
		wantNames  []string
		wantBefore string
		wantAfter  string
	}{
		{name: "default newest first", query: "", wantNames: []string{"o5", "o4", "o3", "o2", "o1"}},
		{name: "ascending", query: "?order=asc", wantNames: []string{"o1", "o2", "o3", "o4", "o5"}},
		{name: "first page", query: "?limit=2", wantNames: []string{"o5", "o4"}, wantAfter: ids["o4"]},
		{name: "after cursor", query: "?limit=2&after=" + ids["o4"], wantNames: []string{"o3", "o2"}, wantBefore: ids["o3"], wantAfter: ids["o2"]},
		{name: "last page", query: "?limit=2&after=" + ids["o2"], wantNames: []string{"o1"}, wantBefore: ids["o1"]},
		{name: "before cursor", query: "?limit=2&before=" + ids["o2"], wantNames: []string{"o4", "o3"}, wantBefore: ids["o4"], wantAfter: ids["o3"]},
		{name: "ascending after cursor", query: "?order=asc&limit=3&after=" + ids["o1"], wantNames: []string{"o2", "o3", "o4"}, wantBefore: ids["o2"], wantAfter: ids["o4"]},
		{name: "after last object", query: "?after=" + ids["o1"], wantNames: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, "GET", baseURL+"/vault/v1/kv"+tt.query, "", "")

			if got.status != 200 {
				t.Fatalf("status = %d, want 200 (body %s)", got.status, got.body)
			}
			body := decode[listBody](t, got)
			if names := body.names(); strings.Join(names, ",") != strings.Join(tt.wantNames, ",") {
				t.Errorf("names = %v, want %v", names, tt.wantNames)
			}
			if before := deref(body.ListMetadata.Before); before != tt.wantBefore {
				t.Errorf("list_metadata.before = %q, want %q", before, tt.wantBefore)
			}
			if after := deref(body.ListMetadata.After); after != tt.wantAfter {
				t.Errorf("list_metadata.after = %q, want %q", after, tt.wantAfter)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestListCursorOfDeletedObject(t *testing.T) {
	server, baseURL := startServer(t)
	server.Put("first", "v")
	deleted := server.Put("second", "v")
	server.Put("third", "v")
	server.Delete("second")

	got := send(t, "GET", baseURL+"/vault/v1/kv?after="+deleted.ID, "", "")
	body := decode[listBody](t, got)

	if names := strings.Join(body.names(), ","); names != "first" {
		t.Errorf("names = %s, want first", names)
	}
}

func TestListPagesThroughAll(t *testing.T) {
	server, baseURL := startServer(t)
	for i := range 25 {
		server.Put(fmt.Sprintf("object-%02d", i), "v")
	}

	var seen []string
	cursor := ""
	for page := 0; page < 10; page++ {
		query := "?limit=10"
		if cursor != "" {
			query += "&after=" + cursor
		}
		body := decode[listBody](t, send(t, "GET", baseURL+"/vault/v1/kv"+query, "", ""))
		seen = append(seen, body.names()...)
		if body.ListMetadata.After == nil {
			break
		}
		cursor = *body.ListMetadata.After
	}

	if len(seen) != 25 {
		t.Fatalf("listed %d objects, want 25", len(seen))
	}
	if seen[0] != "object-24" || seen[24] != "object-00" {
		t.Errorf("first and last = %s, %s, want object-24, object-00", seen[0], seen[24])
	}
}

func TestListInvalidQuery(t *testing.T) {
	_, baseURL := startServer(t)

	tests := []struct {
		name  string
		query string
	}{
		{name: "limit zero", query: "?limit=0"},
		{name: "limit over maximum", query: "?limit=101"},
		{name: "limit not a number", query: "?limit=ten"},
		{name: "unknown order", query: "?order=newest"},
		{name: "both cursors", query: "?before=secret_A&after=secret_B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, "GET", baseURL+"/vault/v1/kv"+tt.query, "", "")

			if got.status != 422 {
				t.Errorf("status = %d, want 422 (body %s)", got.status, got.body)
			}
			errorMessage(t, got)
		})
	}
}

func TestListLimitMaximum(t *testing.T) {
	server, baseURL := startServer(t)
	for i := range 105 {
		server.Put(fmt.Sprintf("object-%03d", i), "v")
	}

	body := decode[listBody](t, send(t, "GET", baseURL+"/vault/v1/kv?limit=100", "", ""))
	defaultPage := decode[listBody](t, send(t, "GET", baseURL+"/vault/v1/kv", "", ""))

	if len(body.Data) != 100 {
		t.Errorf("limit=100 listed %d objects, want 100", len(body.Data))
	}
	if len(defaultPage.Data) != 10 {
		t.Errorf("default limit listed %d objects, want 10", len(defaultPage.Data))
	}
}

func TestPutReplacesValue(t *testing.T) {
	server := fake.New(testKey)

	first := server.Put("replaced", "v1")
	second := server.Put("replaced", "v2")

	if second.ID != first.ID {
		t.Errorf("id changed from %s to %s", first.ID, second.ID)
	}
	if second.Metadata.VersionID == first.Metadata.VersionID {
		t.Error("version_id did not change")
	}
	if second.Value != "v2" {
		t.Errorf("value = %q, want v2", second.Value)
	}
}

func TestDelete(t *testing.T) {
	server, baseURL := startServer(t)
	object := server.Put("deleted", "v")

	server.Delete("deleted")
	server.Delete("never-existed")

	if _, ok := server.Get("deleted"); ok {
		t.Error("Get found the deleted object")
	}
	if got := send(t, "GET", baseURL+"/vault/v1/kv/name/deleted", "", ""); got.status != 404 {
		t.Errorf("by name: status = %d, want 404", got.status)
	}
	if got := send(t, "GET", baseURL+"/vault/v1/kv/"+object.ID, "", ""); got.status != 404 {
		t.Errorf("by id: status = %d, want 404", got.status)
	}
}

func TestPutGenerated(t *testing.T) {
	server, baseURL := startServer(t)

	generated, err := server.PutGenerated("runlayer-sentry-credentials")
	if err != nil {
		t.Fatalf("PutGenerated: %v", err)
	}
	got := send(t, "GET", baseURL+"/vault/v1/kv/name/runlayer-sentry-credentials", "", "")

	object := decode[fake.Object](t, got)
	parsed, err := credentials.Parse([]byte(object.Value))
	if err != nil {
		t.Fatalf("stored value is not a valid credentials document: %v", err)
	}
	if parsed.ID != generated.ID {
		t.Errorf("id = %q, want %q", parsed.ID, generated.ID)
	}
	if parsed.PublicKey != generated.PublicKey {
		t.Errorf("public key = %q, want %q", parsed.PublicKey, generated.PublicKey)
	}
}

func TestRequestIDsAreUnique(t *testing.T) {
	_, baseURL := startServer(t)

	seen := map[string]bool{}
	for range 50 {
		id := send(t, "GET", baseURL+"/vault/v1/kv", "", "").header.Get("X-Request-ID")
		if !strings.HasPrefix(id, "req_") {
			t.Fatalf("X-Request-ID %q does not start with req_", id)
		}
		if seen[id] {
			t.Fatalf("X-Request-ID %q repeated", id)
		}
		seen[id] = true
	}
}

func TestObjectIDsSortByCreation(t *testing.T) {
	server := fake.New(testKey)

	previous := ""
	for i := range 1000 {
		id := server.Put(fmt.Sprintf("o%d", i), "v").ID
		if id <= previous {
			t.Fatalf("id %s of object %d does not sort after %s", id, i, previous)
		}
		previous = id
	}
}
