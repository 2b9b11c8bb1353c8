//go:build tools

// Package tools records the main package that hack/install-tools.sh builds
// from this module. The tools build tag keeps it out of every build, and
// go mod tidy still reads the import, so the requirement stays in go.mod.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
