// Package fake is an in-memory WorkOS Vault server for tests, benchmarks and
// demos. It serves the key-value routes of the Vault API with the response
// and error shapes of the real service, so the product's vault client, init
// container, Helm plugin and Terraform program can run against it over
// loopback HTTP.
//
// Routes, all behind "Authorization: Bearer <key>":
//
//	GET  /vault/v1/kv/name/{name}     the object, with its value
//	GET  /vault/v1/kv/{id}            the object, with its value
//	GET  /vault/v1/kv/{id}/metadata   the object without its value
//	POST /vault/v1/kv                 create: {"name", "value", "key_context"} -> 201 metadata
//	PUT  /vault/v1/kv/{id}            update: {"value", "version_check"} -> 201 object without value
//	GET  /vault/v1/kv                 list: ?limit=&before=&after=&order=
//
// {name} is one escaped path segment, so a "/" in a name arrives as %2F. Errors
// are {"error": "<message>"}, and rate-limit responses are
// {"message": "Rate limit exceeded", "code": "rate_limit_exceeded"} with a
// Retry-After header. Every response carries an X-Request-ID header. Object
// ids are "secret_" followed by a 26-character ULID, and version ids "ver_"
// followed by one.
//
// Tests seed objects with Server.Put or Server.PutGenerated and inject
// failures with Server.SetFaults. A running process, such as cmd/fake-vault,
// takes new faults at runtime through a control API with the same key:
//
//	PUT /_fake/faults   replace the faults, for example {"status_sequence": [503, 503], "latency": "2s"}
//	GET /_fake/faults   the active faults
//	GET /_fake/stats    request counters
//
// The fake only listens on loopback addresses, because it stores test
// credentials behind a static key.
//
// Routes, request fields and response shapes follow the WorkOS Node SDK
// (@workos-inc/node), which decodes the metadata route and a PUT response as
// an object without its value. The routes for object versions and deletion
// are not implemented.
package fake
