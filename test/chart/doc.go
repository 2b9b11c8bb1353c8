// Package chart tests the bundled chart charts/sentry-relay. Helm's own
// engine renders every values file in the chart's ci/ directory, and the
// tests compare the result with golden manifests. They also check the parsed
// objects (vault mode, Pod Security "restricted", labels, checksums), the
// values schema and the chart's failure messages, and run `helm lint
// --strict` and `helm template` with the pinned Helm 3 and Helm 4 binaries.
//
// Run `go test ./test/chart -update` to rewrite the golden files after a
// deliberate change to the chart.
package chart
