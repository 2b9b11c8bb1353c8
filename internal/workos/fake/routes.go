package fake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	// kvPath is the collection of key-value objects.
	kvPath = "/vault/v1/kv"

	// maxNameLength is the maximum length of an object name in characters
	// that the create route accepts.
	maxNameLength = 200

	// maxRequestBody is the maximum size of a POST or PUT body in bytes.
	// NOTE: WorkOS does not document a value size limit. This one only keeps
	// the fake from buffering unbounded input.
	maxRequestBody = 1 << 20

	// Page sizes of GET /vault/v1/kv.
	defaultListLimit = 10
	maxListLimit     = 100
)

// route handles a Vault request that passed the faults and the API key check.
// It routes on the escaped path so that a name containing "/", sent as %2F,
// stays one path segment.
func (s *Server) route(w http.ResponseWriter, r *http.Request, path string) {
	rest, ok := strings.CutPrefix(path, kvPath)
	if !ok {
		writeNotFound(w, path)
		return
	}

	if rest == "" {
		switch r.Method {
		case http.MethodGet:
			s.listObjects(w, r)
		case http.MethodPost:
			s.createObject(w, r)
		default:
			writeMethodNotAllowed(w, http.MethodGet, http.MethodPost)
		}
		return
	}

	segments := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	if !strings.HasPrefix(rest, "/") || slices.Contains(segments, "") {
		writeNotFound(w, path)
		return
	}
	switch {
	case len(segments) == 2 && segments[0] == "name":
		s.routeByName(w, r, segments[1])
	case len(segments) == 1:
		s.routeByID(w, r, segments[0])
	case len(segments) == 2 && segments[1] == "metadata":
		s.routeMetadata(w, r, segments[0])
	default:
		writeNotFound(w, path)
	}
}

func (s *Server) routeByName(w http.ResponseWriter, r *http.Request, escapedName string) {
	if r.Method != http.MethodGet {
		writeMethodNotAllowed(w, http.MethodGet)
		return
	}
	name := unescapeSegment(escapedName)
	object, ok := s.Get(name)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("object named %q not found", name))
		return
	}
	writeJSON(w, http.StatusOK, object)
}

func (s *Server) routeByID(w http.ResponseWriter, r *http.Request, escapedID string) {
	id := unescapeSegment(escapedID)
	switch r.Method {
	case http.MethodGet:
		object, ok := s.getByID(id)
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Sprintf("object %s not found", id))
			return
		}
		writeJSON(w, http.StatusOK, object)
	case http.MethodPut:
		s.updateObject(w, r, id)
	default:
		writeMethodNotAllowed(w, http.MethodGet, http.MethodPut)
	}
}

// routeMetadata responds to GET /vault/v1/kv/{id}/metadata with the object
// without its value, which is what the WorkOS Node SDK (describeObject)
// decodes from this route.
func (s *Server) routeMetadata(w http.ResponseWriter, r *http.Request, escapedID string) {
	if r.Method != http.MethodGet {
		writeMethodNotAllowed(w, http.MethodGet)
		return
	}
	id := unescapeSegment(escapedID)
	object, ok := s.getByID(id)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("object %s not found", id))
		return
	}
	writeJSON(w, http.StatusOK, object.describe())
}

// unescapeSegment decodes one segment of url.URL.EscapedPath. EscapedPath
// returns only valid escapes, so PathUnescape does not fail here. If it ever
// did, the segment would be used as it is.
func unescapeSegment(segment string) string {
	unescaped, err := url.PathUnescape(segment)
	if err != nil {
		return segment
	}
	return unescaped
}

func (s *Server) getByID(id string) (Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	object, ok := s.byID[id]
	if !ok {
		return Object{}, false
	}
	return object.clone(), true
}

// createRequest is the body of POST /vault/v1/kv. Pointers tell a missing
// field from an empty one.
type createRequest struct {
	Name       *string           `json:"name"`
	Value      *string           `json:"value"`
	KeyContext map[string]string `json:"key_context"`
}

func (s *Server) createObject(w http.ResponseWriter, r *http.Request) {
	var request createRequest
	if !decodeBody(w, r, &request) {
		return
	}
	if message := validateCreate(request); message != "" {
		writeError(w, http.StatusUnprocessableEntity, message)
		return
	}

	s.mu.Lock()
	if _, exists := s.byName[*request.Name]; exists {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, fmt.Sprintf("an object named %q already exists", *request.Name))
		return
	}
	metadata := s.insert(*request.Name, *request.Value, request.KeyContext).clone().Metadata
	s.mu.Unlock()

	writeJSON(w, http.StatusCreated, metadata)
}

// validateCreate returns the 422 message for an invalid create request, or
// "" if it is valid.
func validateCreate(request createRequest) string {
	switch {
	case request.Name == nil || *request.Name == "":
		return "name is required"
	case utf8.RuneCountInString(*request.Name) > maxNameLength:
		return fmt.Sprintf("name must be at most %d characters", maxNameLength)
	case request.Value == nil:
		return "value is required"
	case len(request.KeyContext) == 0:
		return "key_context is required and must contain at least one entry"
	default:
		return ""
	}
}

// updateRequest is the body of PUT /vault/v1/kv/{id}.
type updateRequest struct {
	Value        *string `json:"value"`
	VersionCheck *string `json:"version_check"`
}

// updateObject responds to PUT /vault/v1/kv/{id} with the updated object without
// its value, which is what the WorkOS Node SDK (updateObject) decodes.
func (s *Server) updateObject(w http.ResponseWriter, r *http.Request, id string) {
	var request updateRequest
	if !decodeBody(w, r, &request) {
		return
	}
	if request.Value == nil {
		writeError(w, http.StatusUnprocessableEntity, "value is required")
		return
	}

	s.mu.Lock()
	object, ok := s.byID[id]
	if !ok {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, fmt.Sprintf("object %s not found", id))
		return
	}
	current := object.Metadata.VersionID
	if request.VersionCheck != nil && *request.VersionCheck != current {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, fmt.Sprintf("version_check %q does not match the current version %q", *request.VersionCheck, current))
		return
	}
	s.newVersion(object, *request.Value)
	description := object.describe()
	s.mu.Unlock()

	writeJSON(w, http.StatusCreated, description)
}

// decodeBody decodes a JSON request body into target, or responds with 400 for
// malformed JSON, 413 for a body over maxRequestBody and 422 for a field of
// the wrong type, and reports whether it decoded. Unknown fields are ignored.
func decodeBody(w http.ResponseWriter, r *http.Request, target any) bool {
	decoder := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	err := decoder.Decode(target)
	if err == nil && decoder.More() {
		err = errors.New("data after the JSON object")
	}

	var tooLarge *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", maxRequestBody))
	case errors.As(err, &typeErr) && typeErr.Field != "":
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("field %s must be a JSON %s, not %s", typeErr.Field, jsonType(typeErr.Type.String()), typeErr.Value))
	case errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, "request body is empty")
	default:
		writeError(w, http.StatusBadRequest, "request body is not a valid JSON object")
	}
	return false
}

// jsonType names the JSON type that decodes into the Go type goType.
func jsonType(goType string) string {
	switch {
	case goType == "string" || goType == "*string":
		return "string"
	case strings.HasPrefix(goType, "map["):
		return "object of strings"
	default:
		return goType
	}
}

// listItem is one entry of GET /vault/v1/kv.
type listItem struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	UpdatedAt time.Time `json:"updated_at"`
}

// listResponse is the body of GET /vault/v1/kv. The cursors are null when
// there is nothing before or after the page.
type listResponse struct {
	Data         []listItem `json:"data"`
	ListMetadata struct {
		Before *string `json:"before"`
		After  *string `json:"after"`
	} `json:"list_metadata"`
}

// listQuery contains the validated parameters of GET /vault/v1/kv.
type listQuery struct {
	limit     int
	ascending bool
	before    string
	after     string
}

func parseListQuery(values url.Values) (listQuery, string) {
	query := listQuery{limit: defaultListLimit, before: values.Get("before"), after: values.Get("after")}

	if raw := values.Get("limit"); raw != "" {
		limit, err := strconv.Atoi(raw)
		if err != nil || limit < 1 || limit > maxListLimit {
			return listQuery{}, fmt.Sprintf("limit %q must be an integer from 1 to %d", raw, maxListLimit)
		}
		query.limit = limit
	}
	switch order := values.Get("order"); order {
	case "", "desc":
	case "asc":
		query.ascending = true
	default:
		return listQuery{}, fmt.Sprintf("order %q must be asc or desc", order)
	}
	if query.before != "" && query.after != "" {
		return listQuery{}, "set before or after, not both"
	}
	return query, ""
}

// listObjects handles GET /vault/v1/kv. Objects are ordered by creation,
// newest first unless order=asc. Ids sort by creation time, so a cursor is
// compared with ids and stays valid after its object is deleted.
func (s *Server) listObjects(w http.ResponseWriter, r *http.Request) {
	query, message := parseListQuery(r.URL.Query())
	if message != "" {
		writeError(w, http.StatusUnprocessableEntity, message)
		return
	}

	items := s.sortedItems(query.ascending)
	// precedes reports whether id comes before the cursor in list order.
	precedes := func(id, cursor string) bool {
		if query.ascending {
			return id < cursor
		}
		return id > cursor
	}

	var start, end int
	switch {
	case query.after != "":
		start = len(items)
		for i, item := range items {
			if !precedes(item.ID, query.after) && item.ID != query.after {
				start = i
				break
			}
		}
		end = min(start+query.limit, len(items))
	case query.before != "":
		end = 0
		for i, item := range items {
			if precedes(item.ID, query.before) {
				end = i + 1
			}
		}
		start = max(end-query.limit, 0)
	default:
		end = min(query.limit, len(items))
	}

	var response listResponse
	response.Data = items[start:end]
	if start > 0 && start < end {
		response.ListMetadata.Before = &items[start].ID
	}
	if end < len(items) && start < end {
		response.ListMetadata.After = &items[end-1].ID
	}
	writeJSON(w, http.StatusOK, response)
}

// sortedItems returns every object as a list item in creation order.
func (s *Server) sortedItems(ascending bool) []listItem {
	s.mu.Lock()
	items := make([]listItem, 0, len(s.byID))
	for _, object := range s.byID {
		items = append(items, listItem{ID: object.ID, Name: object.Name, UpdatedAt: object.Metadata.UpdatedAt})
	}
	s.mu.Unlock()

	slices.SortFunc(items, func(a, b listItem) int {
		if ascending {
			return strings.Compare(a.ID, b.ID)
		}
		return strings.Compare(b.ID, a.ID)
	})
	return items
}

func writeNotFound(w http.ResponseWriter, path string) {
	writeError(w, http.StatusNotFound, fmt.Sprintf("no route for path %s", path))
}

func writeMethodNotAllowed(w http.ResponseWriter, allowed ...string) {
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method not allowed: use %s", strings.Join(allowed, " or ")))
}
