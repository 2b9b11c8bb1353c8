package postrender

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRender feeds arbitrary streams to Render. A stream it accepts must
// come out unchanged from a second run, and every error must come without
// output.
func FuzzRender(f *testing.F) {
	inputs, _ := filepath.Glob(filepath.Join("testdata", "input", "*.yaml"))
	for _, path := range inputs {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("kind: List\nitems: [{kind: Deployment, spec: {template: {spec: {containers: [{image: getsentry/relay}]}}}}]\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{Mode: ModeInitContainer, InitContainer: testInit, AllowNone: true}
		first, err := Render(data, opts)
		if err != nil {
			if first.Output != nil {
				t.Fatal("Render returned output with an error")
			}
			return
		}
		second, err := Render(first.Output, opts)
		if err != nil {
			t.Fatalf("Render rejects its own output: %v", err)
		}
		if !bytes.Equal(first.Output, second.Output) {
			t.Fatalf("second run changed the output:\n%q\n%q", first.Output, second.Output)
		}
	})
}
