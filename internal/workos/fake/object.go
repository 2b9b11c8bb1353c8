package fake

import (
	"crypto/rand"
	"fmt"
	"maps"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
)

// Object is a stored vault object as GET /vault/v1/kv/{id} returns it.
type Object struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Value    string   `json:"value"`
	Metadata Metadata `json:"metadata"`
}

// Metadata describes an object's current version.
//
// NOTE: environment_id, key_id and updated_by carry made-up values in the
// shapes the WorkOS Node SDK test fixtures show. Only their presence and JSON
// types follow the real API.
type Metadata struct {
	ID            string            `json:"id"`
	EnvironmentID string            `json:"environment_id"`
	KeyID         string            `json:"key_id"`
	Context       map[string]string `json:"context"`
	UpdatedAt     time.Time         `json:"updated_at"`
	UpdatedBy     Actor             `json:"updated_by"`
	VersionID     string            `json:"version_id"`
}

// Actor is the API key or user that last changed an object.
type Actor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// objectDescription is the body of GET /vault/v1/kv/{id}/metadata and of a
// successful PUT: the object without its value, which is what the WorkOS Node
// SDK decodes from both routes.
type objectDescription struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Metadata Metadata `json:"metadata"`
}

// seedKeyContext is the key context of objects stored with Put, which has no
// parameter for one.
var seedKeyContext = map[string]string{"purpose": "fake-vault-seed"}

// clone returns a copy that shares no map with o.
func (o *Object) clone() Object {
	c := *o
	c.Metadata.Context = maps.Clone(o.Metadata.Context)
	return c
}

func (o *Object) describe() objectDescription {
	c := o.clone()
	return objectDescription{ID: c.ID, Name: c.Name, Metadata: c.Metadata}
}

// Put stores value under name, as a new object or as a new version of the
// object that already has that name, and returns the stored object. Unlike
// POST /vault/v1/kv it accepts any name, so tests can seed names the API
// would reject.
func (s *Server) Put(name, value string) Object {
	s.mu.Lock()
	defer s.mu.Unlock()

	if existing, ok := s.byName[name]; ok {
		s.newVersion(existing, value)
		return existing.clone()
	}
	return s.insert(name, value, seedKeyContext).clone()
}

// PutGenerated stores a freshly generated Relay credentials document under
// name, as Put does, and returns the credentials it stored.
func (s *Server) PutGenerated(name string) (credentials.Credentials, error) {
	creds, err := credentials.Generate(rand.Reader)
	if err != nil {
		return credentials.Credentials{}, fmt.Errorf("generate credentials for object %q: %w", name, err)
	}
	document, err := credentials.MarshalDocument(creds)
	if err != nil {
		return credentials.Credentials{}, fmt.Errorf("encode credentials for object %q: %w", name, err)
	}

	s.Put(name, string(document))
	return creds, nil
}

// Get returns the object stored under name, and false if there is none.
func (s *Server) Get(name string) (Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	object, ok := s.byName[name]
	if !ok {
		return Object{}, false
	}
	return object.clone(), true
}

// Delete removes the object stored under name. It does nothing if there is
// none.
func (s *Server) Delete(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if object, ok := s.byName[name]; ok {
		delete(s.byName, name)
		delete(s.byID, object.ID)
	}
}

// insert stores a new object. The caller holds s.mu.
func (s *Server) insert(name, value string, keyContext map[string]string) *Object {
	now := s.now()
	id := "secret_" + s.ids.next(now)
	object := &Object{
		ID:    id,
		Name:  name,
		Value: value,
		Metadata: Metadata{
			ID:            id,
			EnvironmentID: s.environmentID,
			KeyID:         s.keyID,
			Context:       maps.Clone(keyContext),
			UpdatedAt:     now,
			UpdatedBy:     s.updatedBy,
			VersionID:     "ver_" + s.ids.next(now),
		},
	}
	s.byName[name] = object
	s.byID[id] = object
	return object
}

// newVersion replaces the value of an object. The caller holds s.mu.
func (s *Server) newVersion(object *Object, value string) {
	now := s.now()
	object.Value = value
	object.Metadata.UpdatedAt = now
	object.Metadata.VersionID = "ver_" + s.ids.next(now)
}

// now returns the server clock in UTC with the microsecond precision of the
// real API's timestamps.
func (s *Server) now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}
