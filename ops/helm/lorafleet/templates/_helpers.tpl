{{/* Where the image keeps LoraFleet (LORAFLEET_HOME in ops/docker/Dockerfile). */}}
{{- define "lorafleet.home" -}}/opt/lorafleet{{- end }}

{{/* The Pekko Management port the kubernetes profile fixes (pekko.management.http.port). */}}
{{- define "lorafleet.managementPort" -}}8558{{- end }}

{{- define "lorafleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the StatefulSet, the Services and the `app` label Cluster Bootstrap selects. */}}
{{- define "lorafleet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "lorafleet.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "lorafleet.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "lorafleet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select the fleet's pods. `app` is what Kubernetes API discovery queries (app=LORAFLEET_APP). */}}
{{- define "lorafleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lorafleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app: {{ include "lorafleet.fullname" . }}
{{- end }}

{{- define "lorafleet.labels" -}}
helm.sh/chart: {{ include "lorafleet.chart" . }}
{{ include "lorafleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: gpu-node
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "lorafleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "lorafleet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Whether the admin API is on: a token from a Secret (the release's own or an existing one). */}}
{{- define "lorafleet.adminEnabled" -}}
{{- if or .Values.adminToken.existingSecret .Values.adminToken.value }}true{{ end }}
{{- end }}

{{- define "lorafleet.adminTokenSecret" -}}
{{- default (printf "%s-admin-token" (include "lorafleet.fullname" .)) .Values.adminToken.existingSecret }}
{{- end }}

{{- define "lorafleet.adminTokenKey" -}}
{{- if .Values.adminToken.existingSecret }}{{ .Values.adminToken.existingSecretKey }}{{ else }}admin-token{{ end }}
{{- end }}

{{- define "lorafleet.headlessService" -}}
{{- printf "%s-headless" (include "lorafleet.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The cluster profile the node starts with: the image's, or the ConfigMap's that includes it. */}}
{{- define "lorafleet.clusterConfig" -}}
{{- if .Values.config }}/etc/lorafleet/kubernetes.conf{{ else }}{{ include "lorafleet.home" . }}/cluster-config/kubernetes.conf{{ end }}
{{- end }}

{{- define "lorafleet.requiredContactPoints" -}}
{{- if .Values.requiredContactPoints }}{{ .Values.requiredContactPoints }}{{ else }}{{ min (int .Values.replicas) 2 | max 1 }}{{ end }}
{{- end }}

{{/* The Secret with the cluster transport's key material: node.p12, trust.p12, password (ops/tls/fleet-certs.sh). */}}
{{- define "lorafleet.tlsSecret" -}}
{{- default (printf "%s-tls" (include "lorafleet.fullname" .)) .Values.tls.existingSecret }}
{{- end }}

{{/* Where the pod sees it (LORAFLEET_TLS_DIR of the kubernetes profile). */}}
{{- define "lorafleet.tlsDir" -}}/var/run/secrets/lorafleet-tls{{- end }}
