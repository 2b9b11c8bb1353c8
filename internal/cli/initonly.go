//go:build initonly

package cli

// postRenderCommands is empty in the init-container image's build: the
// post-renderer links kyaml and its OpenAPI and protobuf dependencies,
// whose package initialisation would slow every relay pod start.
func postRenderCommands() []command { return nil }
