package postrender

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helm-vault-relay/helm-vault-relay/test/testenv"
)

// mustGetObject returns an object, failing the test when it does not exist.
func mustGetObject(t *testing.T, server *testenv.APIServer, path string) map[string]any {
	t.Helper()
	object := server.Get(t, path)
	if object == nil {
		t.Fatalf("GET %s: not found", path)
	}
	return object
}

// listItems returns the objects of a list path.
func listItems(t *testing.T, server *testenv.APIServer, path string) []map[string]any {
	t.Helper()
	list := mustGetObject(t, server, path)
	var items []map[string]any
	for _, item := range list["items"].([]any) {
		items = append(items, item.(map[string]any))
	}
	return items
}

// apiPath returns the API path of a workload, Job or Secret named by
// "Kind/name" in namespace.
func apiPath(t *testing.T, namespace, key string) string {
	t.Helper()
	prefixes := map[string]string{
		"Deployment":  "/apis/apps/v1/namespaces/%s/deployments/%s",
		"StatefulSet": "/apis/apps/v1/namespaces/%s/statefulsets/%s",
		"Job":         "/apis/batch/v1/namespaces/%s/jobs/%s",
		"Secret":      "/api/v1/namespaces/%s/secrets/%s",
	}
	kind, name, _ := strings.Cut(key, "/")
	format, ok := prefixes[kind]
	if !ok {
		t.Fatalf("no API path known for kind %s", kind)
	}
	return fmt.Sprintf(format, namespace, name)
}

// completeJobs replaces the Job controller, which this API server does not
// run, until the returned function is called. Helm waits for a hook Job to
// complete, so every Job in namespace is marked complete once it appears.
// The returned function logs the last failed status update, which explains
// a hook that helm then reports as timed out.
func completeJobs(t *testing.T, server *testenv.APIServer, namespace string) (stop func()) {
	t.Helper()
	done := make(chan struct{})
	var wg sync.WaitGroup
	var lastErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if err := completeJobsOnce(server, namespace); err != nil {
				lastErr = err
			}
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		if lastErr != nil {
			t.Logf("Job controller stand-in: last failure: %v", lastErr)
		}
	}
}

// completeJobsOnce marks each Job of namespace that has not completed as
// succeeded, with the conditions the Job API requires of a complete Job.
func completeJobsOnce(server *testenv.APIServer, namespace string) error {
	path := "/apis/batch/v1/namespaces/" + namespace + "/jobs"
	status, body, err := server.Do(http.MethodGet, path, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %s", path, status, body)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return err
	}
	for _, job := range list.Items {
		if isComplete(job) {
			continue
		}
		now := time.Now().UTC().Format(time.RFC3339)
		job["status"] = map[string]any{
			"startTime":      now,
			"completionTime": now,
			"succeeded":      1,
			"conditions": []any{
				map[string]any{"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": now, "lastTransitionTime": now},
				map[string]any{"type": "Complete", "status": "True", "lastProbeTime": now, "lastTransitionTime": now},
			},
		}
		update, err := json.Marshal(job)
		if err != nil {
			return err
		}
		statusPath := path + "/" + fmt.Sprint(dig(job, "metadata", "name")) + "/status"
		code, response, err := server.Do(http.MethodPut, statusPath, update)
		if err != nil {
			return fmt.Errorf("PUT %s: %w", statusPath, err)
		}
		if code != http.StatusOK {
			return fmt.Errorf("PUT %s: status %d: %s", statusPath, code, response)
		}
	}
	return nil
}

func isComplete(job map[string]any) bool {
	conditions, _ := dig(job, "status", "conditions").([]any)
	for _, c := range conditions {
		if m, ok := c.(map[string]any); ok && m["type"] == "Complete" && m["status"] == "True" {
			return true
		}
	}
	return false
}
