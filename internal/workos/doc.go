// Package workos is a client for the WorkOS Vault key-value API. It reads an
// object by name and creates and updates objects, with bearer authentication,
// typed errors and bounded response bodies. Failed calls are retried with
// capped exponential backoff and full jitter, which honour Retry-After,
// within an overall deadline.
//
// The client never includes the API key or an object's value in an error, a
// log record or a formatted value.
package workos
