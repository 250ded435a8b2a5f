{{- /*
Helpers shared by the base and istiod charts. The two copies of this file are identical (a chart test
checks it): each chart installs on its own, so neither can depend on the other.
*/ -}}

{{/*
Makes .Values the chart defaults (values.yaml's _internal_defaults_do_not_set) with the user's values
merged over them. Called once, from zzz_profile.yaml, which Helm renders before every other template.
*/}}
{{- define "istio.mergeValues" -}}
{{- $defaults := index .Values "_internal_defaults_do_not_set" | default dict }}
{{- $_ := unset .Values "_internal_defaults_do_not_set" }}
{{- $_ = set . "Values" (mustMergeOverwrite $defaults .Values) }}
{{- end -}}

{{/*
Labels on every resource (the keys upstream Istio's charts use, so that selectors and tools written for
upstream find these resources).
*/}}
{{- define "istio.labels" -}}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/part-of: "istio"
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{/* Non-empty when cluster-scoped resources are rendered (global.resourceScope all or cluster). */}}
{{- define "istio.clusterScope" -}}
{{- if has .Values.global.resourceScope (list "all" "cluster") }}true{{ end }}
{{- end -}}

{{/* Non-empty when namespaced resources are rendered (global.resourceScope all or namespace). */}}
{{- define "istio.namespaceScope" -}}
{{- if has .Values.global.resourceScope (list "all" "namespace") }}true{{ end }}
{{- end -}}

{{/*
failurePolicy of a validation webhook, as upstream decides it: Fail when a caBundle is given (istiod will
not patch the configuration); else base.validationFailurePolicy; else Ignore on install, which istiod's
webhook controller flips to Fail once /validate answers; on upgrade nothing, so the flip is kept.
*/}}
{{- define "istio.validationFailurePolicy" -}}
{{- if .Values.base.validationCABundle -}}
failurePolicy: Fail
{{- else if .Values.base.validationFailurePolicy -}}
failurePolicy: {{ .Values.base.validationFailurePolicy }}
{{- else if not .Release.IsUpgrade -}}
failurePolicy: Ignore
{{- end -}}
{{- end -}}
