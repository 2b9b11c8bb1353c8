package main

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Pod template label and image of the one Relay workload in a generated
// stream; the same ones vault-relay post-render selects by default.
const (
	relayComponentLabel = "app.kubernetes.io/component"
	relayComponent      = "sentry-relay"
	relayImage          = "ghcr.io/getsentry/relay:25.10.0"
	relayName           = "platform-relay"
)

// appNames are the services of the made-up "platform" chart. A document's
// index is appended to make every resource name unique, as kustomize
// requires.
var appNames = []string{
	"billing", "checkout", "catalog", "search", "orders", "payments", "ledger",
	"notifier", "mailer", "gateway", "auth", "sessions", "profiles", "reports",
	"exporter", "scheduler", "ingest", "thumbnails", "webhooks", "audit",
}

// documentKind is one kind of document in the stream and how often it
// appears, in parts of the weights' sum.
type documentKind struct {
	file   string // file name under templates/, as in the "# Source:" line
	weight int
	write  func(b *strings.Builder, rng *rand.Rand, app, name string)
}

// documentKinds mixes small objects, which vault-relay copies without
// parsing, with Deployments of other apps, which it parses but leaves
// unchanged. The weights give about 375 bytes per document.
var documentKinds = []documentKind{
	{"serviceaccount.yaml", 20, writeServiceAccount},
	{"configmap.yaml", 28, writeConfigMap},
	{"configmap-files.yaml", 4, writeConfigMapFiles},
	{"secret.yaml", 14, writeSecret},
	{"service.yaml", 14, writeService},
	{"deployment.yaml", 4, writeDeployment},
	{"role.yaml", 5, writeRole},
	{"rolebinding.yaml", 5, writeRoleBinding},
	{"pdb.yaml", 3, writePodDisruptionBudget},
	{"hpa.yaml", 3, writeHorizontalPodAutoscaler},
}

// generateStream returns a Helm 3 manifest stream of count documents, each
// introduced by "---" and a "# Source:" comment, with the one Relay
// Deployment in the middle. The same count and seed give the same bytes.
func generateStream(count int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	totalWeight := 0
	for _, k := range documentKinds {
		totalWeight += k.weight
	}

	var b strings.Builder
	b.Grow(count * 400)
	for i := range count {
		if i == count/2 {
			b.WriteString("---\n# Source: platform/templates/relay/deployment.yaml\n")
			writeRelayDeployment(&b)
			continue
		}
		kind := pickKind(rng.IntN(totalWeight))
		app := appNames[rng.IntN(len(appNames))]
		name := fmt.Sprintf("%s-%d", app, i)
		fmt.Fprintf(&b, "---\n# Source: platform/templates/%s/%s\n", app, kind.file)
		kind.write(&b, rng, app, name)
	}
	return []byte(b.String())
}

// pickKind maps n in [0, sum of weights) to a kind.
func pickKind(n int) documentKind {
	for _, k := range documentKinds {
		if n < k.weight {
			return k
		}
		n -= k.weight
	}
	return documentKinds[len(documentKinds)-1]
}

func writeLabels(b *strings.Builder, indent, app string, full bool) {
	fmt.Fprintf(b, "%slabels:\n", indent)
	if full {
		fmt.Fprintf(b, "%s  helm.sh/chart: platform-3.14.2\n", indent)
	}
	fmt.Fprintf(b, "%s  app.kubernetes.io/name: %s\n", indent, app)
	fmt.Fprintf(b, "%s  app.kubernetes.io/instance: platform\n", indent)
	if full {
		fmt.Fprintf(b, "%s  app.kubernetes.io/managed-by: Helm\n", indent)
	}
}

func writeServiceAccount(b *strings.Builder, _ *rand.Rand, app, name string) {
	fmt.Fprintf(b, "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: %s\n", name)
	writeLabels(b, "  ", app, false)
	b.WriteString("automountServiceAccountToken: false\n")
}

func writeConfigMap(b *strings.Builder, rng *rand.Rand, app, name string) {
	fmt.Fprintf(b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n", name)
	writeLabels(b, "  ", app, false)
	b.WriteString("data:\n")
	keys := []string{"LOG_LEVEL: info", "LOG_FORMAT: json", "HTTP_PORT: \"8080\"", "METRICS_PORT: \"9090\"", "FEATURE_FLAGS: \"beta,dark-launch\""}
	for _, kv := range keys[:2+rng.IntN(len(keys)-1)] {
		fmt.Fprintf(b, "  %s\n", kv)
	}
}

// writeConfigMapFiles writes a ConfigMap holding files as block scalars,
// the largest documents of the stream. One of its lines contains "kind:"
// so that a scan for the top-level kind has to skip it.
func writeConfigMapFiles(b *strings.Builder, rng *rand.Rand, app, name string) {
	fmt.Fprintf(b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n", name)
	writeLabels(b, "  ", app, true)
	b.WriteString("data:\n  application.properties: |\n")
	for line := range 4 + rng.IntN(12) {
		fmt.Fprintf(b, "    %s.setting%d = %d\n", app, line, rng.IntN(100000))
	}
	b.WriteString("  pipeline.yaml: |\n    kind: Pipeline\n    stages:\n")
	for stage := range 2 + rng.IntN(4) {
		fmt.Fprintf(b, "      - name: stage-%d\n        retries: %d\n", stage, rng.IntN(5))
	}
}

func writeSecret(b *strings.Builder, rng *rand.Rand, app, name string) {
	fmt.Fprintf(b, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n", name)
	writeLabels(b, "  ", app, false)
	b.WriteString("type: Opaque\ndata:\n")
	for _, key := range []string{"username", "password", "token"}[:1+rng.IntN(3)] {
		value := make([]byte, 12+rng.IntN(24))
		for i := range value {
			value[i] = byte(rng.IntN(256))
		}
		fmt.Fprintf(b, "  %s: %s\n", key, base64.StdEncoding.EncodeToString(value))
	}
}

func writeService(b *strings.Builder, rng *rand.Rand, app, name string) {
	fmt.Fprintf(b, "apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n", name)
	writeLabels(b, "  ", app, false)
	b.WriteString("spec:\n  type: ClusterIP\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n      protocol: TCP\n")
	if rng.IntN(2) == 0 {
		b.WriteString("    - name: metrics\n      port: 9090\n      targetPort: metrics\n")
	}
	fmt.Fprintf(b, "  selector:\n    app.kubernetes.io/name: %s\n    app.kubernetes.io/instance: platform\n", app)
}

// writeDeployment writes a Deployment of another app: a workload that
// vault-relay parses and must leave unchanged.
func writeDeployment(b *strings.Builder, rng *rand.Rand, app, name string) {
	fmt.Fprintf(b, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n", name)
	writeLabels(b, "  ", app, true)
	fmt.Fprintf(b, "spec:\n  replicas: %d\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: %s\n      app.kubernetes.io/instance: platform\n", 1+rng.IntN(3), app)
	b.WriteString("  template:\n    metadata:\n")
	fmt.Fprintf(b, "      annotations:\n        checksum/config: %016x\n", rng.Uint64())
	writeLabels(b, "      ", app, false)
	fmt.Fprintf(b, "        app.kubernetes.io/component: %s\n", []string{"api", "worker", "frontend"}[rng.IntN(3)])
	fmt.Fprintf(b, `    spec:
      serviceAccountName: %[1]s
      securityContext:
        runAsNonRoot: true
      containers:
        - name: %[2]s
          image: "registry.example.com/platform/%[2]s:1.%[3]d.0"
          imagePullPolicy: IfNotPresent
          args: ["serve", "--port", "8080"]
          ports:
            - name: http
              containerPort: 8080
          envFrom:
            - configMapRef:
                name: %[1]s
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
`, name, app, rng.IntN(40))
}

func writeRole(b *strings.Builder, _ *rand.Rand, app, name string) {
	fmt.Fprintf(b, "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: %s\n", name)
	writeLabels(b, "  ", app, false)
	b.WriteString("rules:\n  - apiGroups: [\"\"]\n    resources: [\"configmaps\", \"secrets\"]\n    verbs: [\"get\", \"list\", \"watch\"]\n")
}

func writeRoleBinding(b *strings.Builder, _ *rand.Rand, app, name string) {
	fmt.Fprintf(b, "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: %s\n", name)
	writeLabels(b, "  ", app, false)
	fmt.Fprintf(b, "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: %[1]s\nsubjects:\n  - kind: ServiceAccount\n    name: %[1]s\n", name)
}

func writePodDisruptionBudget(b *strings.Builder, _ *rand.Rand, app, name string) {
	fmt.Fprintf(b, "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: %s\n", name)
	writeLabels(b, "  ", app, false)
	fmt.Fprintf(b, "spec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: %s\n", app)
}

func writeHorizontalPodAutoscaler(b *strings.Builder, rng *rand.Rand, app, name string) {
	fmt.Fprintf(b, "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: %s\n", name)
	writeLabels(b, "  ", app, false)
	fmt.Fprintf(b, `spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: %s
  minReplicas: 2
  maxReplicas: %d
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 75
`, name, 4+rng.IntN(12))
}

// writeRelayDeployment writes the one workload every tool must patch: a
// Relay Deployment with its own volume and arguments already set, so the
// patch appends to existing lists.
func writeRelayDeployment(b *strings.Builder) {
	fmt.Fprintf(b, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  labels:
    helm.sh/chart: platform-3.14.2
    app.kubernetes.io/name: relay
    app.kubernetes.io/instance: platform
    %[2]s: %[3]s
    app.kubernetes.io/managed-by: Helm
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: relay
      app.kubernetes.io/instance: platform
  template:
    metadata:
      labels:
        app.kubernetes.io/name: relay
        app.kubernetes.io/instance: platform
        %[2]s: %[3]s
    spec:
      containers:
        - name: relay
          image: "%[4]s"
          imagePullPolicy: IfNotPresent
          args:
            - run
          ports:
            - name: http
              containerPort: 3000
          env:
            - name: RELAY_PORT
              value: "3000"
          volumeMounts:
            - name: geoip
              mountPath: /geoip
              readOnly: true
          resources:
            requests:
              cpu: 500m
              memory: 512Mi
      volumes:
        - name: geoip
          configMap:
            name: platform-geoip
`, relayName, relayComponentLabel, relayComponent, relayImage)
}
