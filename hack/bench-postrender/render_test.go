package main

import (
	"bytes"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/internal/postrender"
)

// renderOptions are the options vault-relay post-render passes with its
// default flags.
var renderOptions = postrender.Options{
	Mode: postrender.ModeInitContainer,
	InitContainer: postrender.InitContainer{
		Image:           "ghcr.io/helm-vault-relay/vault-relay:0.1.0",
		APIKeySecret:    "backend-secret",
		APIKeySecretKey: "AUTH_API_KEY",
		APIBase:         "https://api.workos.com",
		ObjectName:      "runlayer-sentry-credentials",
		Timeout:         "60s",
		Upstream:        "https://sentry.io/",
		Port:            3000,
		LogLevel:        "info",
		Resources:       map[string]map[string]string{"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "32Mi"}},
	},
}

func benchmarkRender(b *testing.B, documents int) {
	input := generateStream(documents, seed)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		result, err := postrender.Render(input, renderOptions)
		if err != nil {
			b.Fatal(err)
		}
		if len(result.Selected) != 1 {
			b.Fatalf("selected %v, expected the relay Deployment only", result.Selected)
		}
	}
}

func BenchmarkRender500(b *testing.B)  { benchmarkRender(b, smallDocuments) }
func BenchmarkRender5000(b *testing.B) { benchmarkRender(b, largeDocuments) }

// TestGenerateStream checks the generator's promises: the document count,
// one Relay Deployment, the same bytes for the same seed, and a size close
// to the 375 bytes per document the weights give.
func TestGenerateStream(t *testing.T) {
	for _, documents := range []int{smallDocuments, largeDocuments} {
		stream := generateStream(documents, seed)
		if n := bytes.Count(stream, []byte("---\n# Source: ")); n != documents {
			t.Errorf("%d documents: the stream has %d", documents, n)
		}
		if err := checkOutput(stream, documents, patch{}); err == nil {
			t.Errorf("%d documents: an unpatched stream passed the output check", documents)
		}

		result, err := postrender.Render(stream, renderOptions)
		if err != nil {
			t.Fatalf("%d documents: %v", documents, err)
		}
		if len(result.Selected) != 1 || result.Selected[0] != "Deployment/"+relayName {
			t.Errorf("%d documents: selected %v, expected Deployment/%s", documents, result.Selected, relayName)
		}
		if string(generateStream(documents, seed)) != string(stream) {
			t.Errorf("%d documents: two streams from the same seed differ", documents)
		}
		if perDocument := len(stream) / documents; perDocument < 320 || perDocument > 420 {
			t.Errorf("%d documents: %d bytes per document, expected about 375", documents, perDocument)
		}
	}
}
