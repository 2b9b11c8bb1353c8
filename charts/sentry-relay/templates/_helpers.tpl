{{/*
Names, labels, images and checks shared by the templates. Names built here
are cut to 63 characters, the limit of a DNS label (a Service name) and of a
label value.
*/}}

{{/* Chart name, or nameOverride. */}}
{{- define "sentry-relay.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Name of the release's objects: fullnameOverride, else "<release>-<name>",
else just the release name when it already contains the chart name.
*/}}
{{- define "sentry-relay.fullname" -}}
{{- $name := include "sentry-relay.name" . -}}
{{- $full := .Values.fullnameOverride -}}
{{- if not $full -}}
{{- $full = ternary .Release.Name (printf "%s-%s" .Release.Name $name) (contains $name .Release.Name) -}}
{{- end -}}
{{- $full | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Value of the helm.sh/chart label: "<chart>-<version>". */}}
{{- define "sentry-relay.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Tag of the Relay image: relay.image.tag, else the chart's appVersion. */}}
{{- define "sentry-relay.relayTag" -}}
{{- .Values.relay.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{- define "sentry-relay.relayImage" -}}
{{- printf "%s:%s" .Values.relay.image.repository (include "sentry-relay.relayTag" .) -}}
{{- end -}}

{{/* Init-container image; its tag defaults to the chart's version. */}}
{{- define "sentry-relay.initImage" -}}
{{- $image := .Values.relay.vault.initContainer.image -}}
{{- printf "%s:%s" $image.repository ($image.tag | default .Chart.Version) -}}
{{- end -}}

{{/*
Labels the Deployment selects its pods by. They never change for a release,
because a Deployment's selector is immutable.
*/}}
{{- define "sentry-relay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sentry-relay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: sentry-relay
{{- end -}}

{{/*
Labels of every object and of the pod template. The version label is the
Relay image tag in use, trimmed to the characters a label value may end with.
*/}}
{{- define "sentry-relay.labels" -}}
{{ include "sentry-relay.selectorLabels" . }}
app.kubernetes.io/version: {{ include "sentry-relay.relayTag" . | trunc 63 | trimAll "-_." | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "sentry-relay.chart" . }}
{{- end -}}

{{/*
securityContext of every container, init container included: what Pod
Security "restricted" requires, plus a read-only root filesystem. vault-relay
writes only to the config volume, and Relay writes no files unless its config
sets a disk spool (spool.envelopes.path), which the chart's config does not.
*/}}
{{- define "sentry-relay.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* Secret with Relay's id, public_key and secret_key when the vault is off. */}}
{{- define "sentry-relay.credentialsSecretName" -}}
{{- .Values.relay.credentials.existingSecret | default .Values.relay.credentials.secretName -}}
{{- end -}}

{{/*
Key of the WorkOS API key in backend.secretName. The Secret the chart renders
always stores it as AUTH_API_KEY.
*/}}
{{- define "sentry-relay.apiKeySecretKey" -}}
{{- if .Values.backend.secrets.AUTH_API_KEY -}}
AUTH_API_KEY
{{- else -}}
{{- .Values.backend.apiKeySecretKey -}}
{{- end -}}
{{- end -}}

{{/*
checksum/config of the pod template, so that a change the running pods
cannot see rolls them. Vault off: the rendered ConfigMap and credentials
Secret. Vault on: the relay.vault values and the rendered backend Secret,
whose API key the init container reads only at pod start.
*/}}
{{- define "sentry-relay.configChecksum" -}}
{{- $content := "" -}}
{{- if .Values.relay.vault.enabled -}}
{{- $content = printf "%s\n%s" (toJson .Values.relay.vault) (include (print .Template.BasePath "/secret-backend.yaml") .) -}}
{{- else -}}
{{- $content = printf "%s\n%s" (include (print .Template.BasePath "/configmap.yaml") .) (include (print .Template.BasePath "/secret-credentials.yaml") .) -}}
{{- end -}}
{{- $content | sha256sum -}}
{{- end -}}

{{/*
Checks that templates cannot express in values.schema.json. Renders nothing;
fails the render with a message naming the values to set.
*/}}
{{- define "sentry-relay.validate" -}}
{{- $creds := .Values.relay.credentials -}}
{{- if and .Values.relay.enabled (not .Values.relay.vault.enabled) (not $creds.existingSecret) -}}
{{- $missing := list -}}
{{- range $key := list "id" "publicKey" "secretKey" -}}
{{- if not (get $creds $key) -}}
{{- $missing = append $missing (printf "relay.credentials.%s" $key) -}}
{{- end -}}
{{- end -}}
{{- if $missing -}}
{{- fail (printf "relay.vault.enabled is false, so Relay needs its credentials from the chart: set relay.credentials.existingSecret to a Secret with the keys id, public_key and secret_key, or set relay.credentials.id, relay.credentials.publicKey and relay.credentials.secretKey (missing: %s)" (join ", " $missing)) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.relay.vault.enabled .Values.backend.secrets.SENTRY_DSN (not .Values.backend.secrets.AUTH_API_KEY) -}}
{{- fail "backend.secrets.SENTRY_DSN is set but backend.secrets.AUTH_API_KEY is empty: with relay.vault.enabled the rendered backend Secret must hold the API key the init container reads, so set it too, or add SENTRY_DSN to the existing Secret named by backend.secretName" -}}
{{- end -}}
{{- end -}}
