package workos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
)

// DefaultBaseURL is the production WorkOS API.
const DefaultBaseURL = "https://api.workos.com"

// MaxResponseBytes caps every response body the client reads. A Vault object
// read is a few kilobytes; anything larger is a misbehaving server or proxy.
const MaxResponseBytes = 1 << 20

// maxMessageBytes bounds the API error message kept in an APIError.
const maxMessageBytes = 200

// Config holds what a Client needs. Only BaseURL and APIKey are required.
type Config struct {
	// BaseURL is the API origin, https, or plain http to a loopback host
	// (127.0.0.0/8, ::1, localhost) for tests. Empty means DefaultBaseURL.
	BaseURL string
	// APIKey is sent as a bearer token.
	APIKey credentials.Secret
	// HTTPClient sends the requests. Nil means NewHTTPClient(BaseURL).
	HTTPClient *http.Client
	// Retry bounds the attempts of each call. Zero fields take the defaults
	// of DefaultRetryPolicy.
	Retry RetryPolicy
	// Logger receives retry and request events. Nil discards them.
	Logger *slog.Logger
	// UserAgent is sent with every request.
	UserAgent string
}

// Client calls the WorkOS Vault API. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	apiKey    credentials.Secret
	http      *http.Client
	retry     RetryPolicy
	log       *slog.Logger
	userAgent string
}

// NewClient checks cfg and returns a client.
func NewClient(cfg Config) (*Client, error) {
	base, err := ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkAPIKey(cfg.APIKey); err != nil {
		return nil, err
	}

	httpClient := cfg.HTTPClient
	if httpClient == nil {
		if httpClient, err = NewHTTPClient(base); err != nil {
			return nil, err
		}
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	userAgent := cfg.UserAgent
	if userAgent == "" {
		userAgent = "helm-vault-relay"
	}

	return &Client{
		base:      base,
		apiKey:    cfg.APIKey,
		http:      httpClient,
		retry:     cfg.Retry.withDefaults(),
		log:       logger,
		userAgent: userAgent,
	}, nil
}

// ParseBaseURL checks an API base URL: https, or http to a loopback host,
// with no user info, query or fragment. Empty means DefaultBaseURL.
func ParseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("invalid API base URL %q: expected an absolute URL such as %s", raw, DefaultBaseURL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("invalid API base URL %q: user info, query and fragment are not allowed", u.Redacted())
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopbackHost(u.Hostname()) {
			return nil, fmt.Errorf("invalid API base URL %q: plain http is allowed only for loopback hosts; use https", raw)
		}
	default:
		return nil, fmt.Errorf("invalid API base URL %q: scheme must be https", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// IsLoopbackHost reports whether host is localhost or a loopback IP address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkAPIKey rejects keys that would corrupt the Authorization header. The
// error never shows the key.
func checkAPIKey(key credentials.Secret) error {
	if key.IsZero() {
		return errors.New("missing API key")
	}
	for _, r := range key.Reveal() {
		if r <= ' ' || r == 0x7f {
			return errors.New("invalid API key: it contains whitespace or control characters")
		}
	}
	return nil
}

// Object is a Vault object as the read endpoints return it.
type Object struct {
	ID       string
	Name     string
	Value    credentials.Secret
	Metadata ObjectMetadata
}

// ObjectMetadata describes a stored object without its value.
type ObjectMetadata struct {
	ID            string            `json:"id"`
	EnvironmentID string            `json:"environment_id"`
	KeyID         string            `json:"key_id"`
	Context       map[string]string `json:"context"`
	UpdatedAt     time.Time         `json:"updated_at"`
	UpdatedBy     Actor             `json:"updated_by"`
	VersionID     string            `json:"version_id"` // empty when the API returns null
}

// Actor is who last changed an object.
type Actor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// objectBody is the wire form of a read response.
type objectBody struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Value    *string         `json:"value"`
	Metadata *ObjectMetadata `json:"metadata"`
}

// ReadObjectByName fetches an object and its value. The name is escaped as
// one path segment, so a "/" in it is sent as %2F, as the official SDKs do.
func (c *Client) ReadObjectByName(ctx context.Context, name string) (*Object, error) {
	if name == "" {
		return nil, errors.New("read vault object: empty object name")
	}

	var body objectBody
	req := request{method: http.MethodGet, segments: []string{"vault", "v1", "kv", "name", name}, want: http.StatusOK}
	if err := c.do(ctx, req, &body); err != nil {
		return nil, err
	}
	if body.Value == nil {
		return nil, &ResponseError{Method: req.method, Path: c.displayPath(req), Reason: `no "value" field`}
	}

	object := &Object{ID: body.ID, Name: body.Name, Value: credentials.Secret(*body.Value)}
	if body.Metadata != nil {
		object.Metadata = *body.Metadata
	}
	return object, nil
}

// CreateObjectRequest is the body of a create call. KeyContext selects the
// encryption key and must hold at least one entry.
type CreateObjectRequest struct {
	Name       string
	Value      credentials.Secret
	KeyContext map[string]string
}

// CreateObject stores a new object. An existing name fails with ErrConflict.
// A create is retried only on errors where the API did not act on it: rate
// limits and connection failures before any response.
func (c *Client) CreateObject(ctx context.Context, in CreateObjectRequest) (*ObjectMetadata, error) {
	if in.Name == "" {
		return nil, errors.New("create vault object: empty object name")
	}
	if len(in.KeyContext) == 0 {
		return nil, errors.New("create vault object: key context must have at least one entry")
	}
	payload, err := json.Marshal(struct {
		Name       string            `json:"name"`
		Value      string            `json:"value"`
		KeyContext map[string]string `json:"key_context"`
	}{in.Name, in.Value.Reveal(), in.KeyContext})
	if err != nil {
		return nil, fmt.Errorf("create vault object: encode request: %w", err)
	}

	var meta ObjectMetadata
	req := request{method: http.MethodPost, segments: []string{"vault", "v1", "kv"}, body: payload, want: http.StatusCreated}
	if err := c.do(ctx, req, &meta); err != nil {
		return nil, err
	}
	return &meta, nil
}

// request is one API call, sent again on each attempt.
type request struct {
	method   string
	segments []string // unescaped path segments after the base path
	query    string   // encoded query, without "?"
	body     []byte
	want     int
}

func (c *Client) buildURL(req request) *url.URL {
	u := *c.base
	var path, raw strings.Builder
	path.WriteString(c.base.Path)
	raw.WriteString(c.base.EscapedPath())
	for _, segment := range req.segments {
		path.WriteString("/" + segment)
		raw.WriteString("/" + url.PathEscape(segment))
	}
	u.Path, u.RawPath = path.String(), raw.String()
	u.RawQuery = req.query
	return &u
}

func (c *Client) displayPath(req request) string { return c.buildURL(req).EscapedPath() }

// attempt sends req once and decodes a response with the wanted status into
// out.
func (c *Client) attempt(ctx context.Context, req request, out any) error {
	u := c.buildURL(req)
	path := u.EscapedPath()

	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	httpReq, err := http.NewRequestWithContext(ctx, req.method, u.String(), body)
	if err != nil {
		return fmt.Errorf("%s %s: build request: %w", req.method, path, err)
	}
	httpReq.Header.Set("Authorization", "Bearer "+c.apiKey.Reveal())
	httpReq.Header.Set("Accept", "application/json")
	httpReq.Header.Set("User-Agent", c.userAgent)
	if req.body != nil {
		httpReq.Header.Set("Content-Type", "application/json")
	}

	resp, err := c.http.Do(httpReq)
	if err != nil {
		return &TransportError{Method: req.method, Path: path, Err: unwrapURLError(err)}
	}
	defer func() { _ = resp.Body.Close() }()
	requestID := resp.Header.Get("X-Request-ID")

	data, tooLarge, err := readLimited(resp.Body, MaxResponseBytes)
	if err != nil {
		return &TransportError{Method: req.method, Path: path, Err: fmt.Errorf("read response body: %w", err)}
	}

	if resp.StatusCode != req.want {
		return &APIError{
			Method:     req.method,
			Path:       path,
			StatusCode: resp.StatusCode,
			RequestID:  requestID,
			Message:    errorMessage(resp.Header.Get("Content-Type"), data),
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	}

	invalid := func(reason string) error {
		return &ResponseError{Method: req.method, Path: path, RequestID: requestID, Reason: reason}
	}
	if tooLarge {
		return invalid(fmt.Sprintf("body exceeds %d bytes", MaxResponseBytes))
	}
	if mediaType := resp.Header.Get("Content-Type"); mediaType != "" && !strings.Contains(mediaType, "json") {
		return invalid(fmt.Sprintf("content type %q, expected JSON", mediaType))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return invalid("body is not the expected JSON object")
	}
	return nil
}

// unwrapURLError drops the *url.Error wrapper, whose message repeats the full
// URL, and keeps its cause.
func unwrapURLError(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err
	}
	return err
}

// readLimited reads at most limit bytes and reports whether there was more.
func readLimited(r io.Reader, limit int64) (data []byte, tooLarge bool, err error) {
	data, err = io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(data)) > limit {
		return data[:limit], true, nil
	}
	return data, false, nil
}

// errorMessage extracts the API's message from an error body: {"error": ...}
// on Vault routes, {"message": ...} elsewhere. Non-JSON bodies, such as a
// proxy's HTML page, are summarised by their content type.
func errorMessage(contentType string, data []byte) string {
	var body struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &body) == nil {
		msg := body.Error
		if msg == "" {
			msg = body.Message
		}
		return shorten(msg)
	}
	if len(data) == 0 {
		return ""
	}
	if contentType == "" {
		contentType = "unknown content type"
	}
	return fmt.Sprintf("non-JSON body (%s, %d bytes)", contentType, len(data))
}

func shorten(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxMessageBytes {
		return s[:maxMessageBytes] + "..."
	}
	return s
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date. Invalid or
// negative values count as absent.
func parseRetryAfter(value string, now time.Time) time.Duration {
	if value == "" {
		return 0
	}
	if seconds, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64); err == nil {
		if seconds <= 0 {
			return 0
		}
		return time.Duration(min(seconds, int64(24*time.Hour/time.Second))) * time.Second
	}
	if at, err := http.ParseTime(value); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// ListItem is one entry of a list call.
type ListItem struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ListObjects returns up to limit objects, newest first. doctor uses it to
// check that the key is accepted independently of any object name.
func (c *Client) ListObjects(ctx context.Context, limit int) ([]ListItem, error) {
	var body struct {
		Data []ListItem `json:"data"`
	}
	req := request{method: http.MethodGet, segments: []string{"vault", "v1", "kv"}, query: "limit=" + strconv.Itoa(limit), want: http.StatusOK}
	if err := c.do(ctx, req, &body); err != nil {
		return nil, err
	}
	return body.Data, nil
}

// UpdateObject stores a new value for object id. A non-empty versionCheck
// makes the API reject the update with ErrConflict when the object's
// current version differs, so a concurrent change is not overwritten.
func (c *Client) UpdateObject(ctx context.Context, id string, value credentials.Secret, versionCheck string) (*ObjectMetadata, error) {
	if id == "" {
		return nil, errors.New("update vault object: empty object id")
	}
	payload := map[string]string{"value": value.Reveal()}
	if versionCheck != "" {
		payload["version_check"] = versionCheck
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("update vault object: encode request: %w", err)
	}

	// The API responds with the object's metadata, either bare or inside an
	// object description; both shapes are accepted.
	var body struct {
		ObjectMetadata
		Metadata *ObjectMetadata `json:"metadata"`
	}
	req := request{method: http.MethodPut, segments: []string{"vault", "v1", "kv", id}, body: data, want: http.StatusCreated}
	if err := c.do(ctx, req, &body); err != nil {
		return nil, err
	}
	if body.Metadata != nil {
		return body.Metadata, nil
	}
	return &body.ObjectMetadata, nil
}

// Ping sends one unauthenticated GET to the base URL and reports whether
// any HTTP response came back, which shows that the API is reachable and,
// for https, that its certificate verified. The status is not checked.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.retry.AttemptTimeout)
	defer cancel()
	u := *c.base
	u.Path += "/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return &TransportError{Method: http.MethodGet, Path: u.EscapedPath(), Err: unwrapURLError(err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxMessageBytes))
	return resp.Body.Close()
}
