package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/helm-vault-relay/helm-vault-relay/internal/credentials"
)

var secretLine = regexp.MustCompile(`secret key:\s+(\S+)`)

func TestGenerateStoreFetchRoundTrip(t *testing.T) {
	server, baseURL := startVault(t)
	server.Delete(objectName)
	env := map[string]string{"WORKOS_API_KEY": testAPIKey, "WORKOS_API_BASE": baseURL}

	gen := runCommand(t, env, "", "credentials", "generate", "--store")
	if gen.code != ExitOK {
		t.Fatalf("generate exit code = %d; stderr:\n%s", gen.code, gen.stderr)
	}
	if m := secretLine.FindStringSubmatch(gen.stdout); m == nil || m[1] != credentials.Redacted {
		t.Errorf("summary does not show the secret key redacted:\n%s", gen.stdout)
	}
	stored, ok := server.Get(objectName)
	if !ok {
		t.Fatal("no vault object after --store")
	}
	creds, err := credentials.Parse([]byte(stored.Value))
	if err != nil {
		t.Fatalf("stored document is invalid: %v", err)
	}
	if strings.Contains(gen.stdout+gen.stderr, creds.SecretKey.Reveal()) {
		t.Error("generate printed the secret key")
	}
	for _, want := range []string{"relay id:    " + creds.ID, "public key:  " + creds.PublicKey, "Register the relay id and public key in Sentry"} {
		if !strings.Contains(gen.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, gen.stdout)
		}
	}

	out := t.TempDir()
	fetch := runCommand(t, env, "", "fetch", "--out", out)
	if fetch.code != ExitOK {
		t.Fatalf("fetch exit code = %d; stderr:\n%s", fetch.code, fetch.stderr)
	}
	written := readFile(t, filepath.Join(out, "credentials.json"))
	if !strings.Contains(written, creds.SecretKey.Reveal()) || !strings.Contains(written, creds.ID) {
		t.Error("fetch did not deliver the generated credentials")
	}
}

func TestGenerateStoreRefusesExisting(t *testing.T) {
	server, baseURL := startVault(t)
	env := map[string]string{"WORKOS_API_KEY": testAPIKey, "WORKOS_API_BASE": baseURL}
	before, _ := server.Get(objectName)

	res := runCommand(t, env, "", "credentials", "generate", "--store")

	if res.code != ExitFailure || !strings.Contains(res.stderr, "already exists: pass --overwrite") {
		t.Errorf("exit code %d, stderr:\n%s\nwant a refusal naming --overwrite", res.code, res.stderr)
	}
	after, _ := server.Get(objectName)
	if after.Value != before.Value {
		t.Error("the existing object was changed without --overwrite")
	}

	res = runCommand(t, env, "", "credentials", "generate", "--store", "--overwrite", "--dsn", "https://abc@o1.ingest.sentry.io/7")

	if res.code != ExitOK {
		t.Fatalf("--overwrite exit code = %d; stderr:\n%s", res.code, res.stderr)
	}
	after, _ = server.Get(objectName)
	if after.Value == before.Value || after.Metadata.VersionID == before.Metadata.VersionID {
		t.Error("--overwrite did not store a new version")
	}
	creds, err := credentials.Parse([]byte(after.Value))
	if err != nil || creds.SentryDSN.Reveal() != "https://abc@o1.ingest.sentry.io/7" {
		t.Errorf("replaced document: %v, DSN kept: %v", err, creds.SentryDSN.Reveal() != "")
	}
	assertNoLeak(t, "stdout", res.stdout)
}

func TestGenerateToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relay.json")

	res := runCommand(t, nil, "", "credentials", "generate", "-o", path)

	if res.code != ExitOK {
		t.Fatalf("exit code = %d; stderr:\n%s", res.code, res.stderr)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %o, want 600", info.Mode().Perm())
	}
	first := readFile(t, path)
	if _, err := credentials.Parse([]byte(first)); err != nil {
		t.Errorf("written document is invalid: %v", err)
	}

	again := runCommand(t, nil, "", "credentials", "generate", "-o", path)
	if again.code != ExitFailure || !strings.Contains(again.stderr, "already exists: pass --overwrite") {
		t.Errorf("second generate into the same file: exit %d, stderr %q; want a refusal", again.code, again.stderr)
	}
	if readFile(t, path) != first {
		t.Error("the existing credentials file was replaced without --overwrite")
	}
	if res := runCommand(t, nil, "", "credentials", "generate", "-o", path, "--overwrite"); res.code != ExitOK || readFile(t, path) == first {
		t.Errorf("--overwrite did not replace the file: exit %d", res.code)
	}
}

func TestGenerateInvalidInput(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"credentials"}, "missing subcommand"},
		{[]string{"credentials", "rotate"}, `unknown subcommand "rotate"`},
		{[]string{"credentials", "generate", "--overwrite"}, "--overwrite needs --store or -o"},
		{[]string{"credentials", "generate", "--dsn", "sentry.io"}, "invalid --dsn"},
		{[]string{"credentials", "generate", "--store", "--key-context", "app"}, "expected KEY=VALUE"},
	}
	for _, tt := range tests {
		res := runCommand(t, nil, "", tt.args...)
		if res.code != ExitUsage || !strings.Contains(res.stderr, tt.wantErr) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tt.args, res.code, res.stderr, ExitUsage, tt.wantErr)
		}
	}
}
