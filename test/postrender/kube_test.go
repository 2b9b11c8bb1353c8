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

// createRestrictedNamespace creates a namespace that enforces, warns and
// audits at the "restricted" Pod Security level, with the default service
// account that pods need (no controller creates it here).
func createRestrictedNamespace(t *testing.T, server *testenv.APIServer, name string) {
	t.Helper()
	labels := map[string]string{}
	for _, mode := range []string{"enforce", "warn", "audit"} {
		labels["pod-security.kubernetes.io/"+mode] = "restricted"
		labels["pod-security.kubernetes.io/"+mode+"-version"] = "latest"
	}
	mustCreate(t, server, "/api/v1/namespaces", map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": name, "labels": labels},
	})
	mustCreate(t, server, "/api/v1/namespaces/"+name+"/serviceaccounts", map[string]any{
		"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "default"},
	})
}

func mustCreate(t *testing.T, server *testenv.APIServer, path string, object any) {
	t.Helper()
	body, err := json.Marshal(object)
	if err != nil {
		t.Fatal(err)
	}
	status, response, err := server.Do(http.MethodPost, path, body)
	if err != nil || status != http.StatusCreated {
		t.Fatalf("POST %s: status %d, error %v: %s", path, status, err, response)
	}
}

// getObject returns an object decoded from JSON, or nil when it does not
// exist.
func getObject(t *testing.T, server *testenv.APIServer, path string) map[string]any {
	t.Helper()
	status, body, err := server.Do(http.MethodGet, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if status == http.StatusNotFound {
		return nil
	}
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, status, body)
	}
	var object map[string]any
	if err := json.Unmarshal(body, &object); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return object
}

// mustGetObject returns an object, failing the test when it does not exist.
func mustGetObject(t *testing.T, server *testenv.APIServer, path string) map[string]any {
	t.Helper()
	object := getObject(t, server, path)
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

// admitPodTemplate submits a workload's pod template as a Pod with
// dryRun=All, so that Pod Security admission enforces the namespace's level
// on what a controller would create. It returns the API server's
// rejection, if any.
func admitPodTemplate(t *testing.T, server *testenv.APIServer, namespace string, workload map[string]any) error {
	t.Helper()
	template := deepCopy(t, dig(workload, "spec", "template").(map[string]any))
	metadata, _ := template["metadata"].(map[string]any)
	if metadata == nil {
		metadata = map[string]any{}
	}
	metadata["name"] = fmt.Sprint(dig(workload, "metadata", "name")) + "-admission-check"
	pod := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"]}
	body, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}

	status, response, err := server.Do(http.MethodPost, "/api/v1/namespaces/"+namespace+"/pods?dryRun=All", body)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusCreated {
		return fmt.Errorf("status %d: %s", status, response)
	}
	return nil
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
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("GET %s: status %d, error %v: %s", path, status, err, body)
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
		if err != nil || code != http.StatusOK {
			return fmt.Errorf("PUT %s: status %d, error %v: %s", statusPath, code, err, response)
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
