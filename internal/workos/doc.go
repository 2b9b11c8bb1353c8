// Package workos is a client for the WorkOS Vault key-value API: it reads an
// object by name and creates objects, with bearer authentication, typed
// errors, bounded response bodies and retries with capped exponential backoff
// and full jitter that honour Retry-After within an overall deadline.
//
// The client never includes the API key or an object's value in an error, a
// log record or a formatted value.
package workos
