{{/* istiod[-<revision>]: the Deployment, Service, ServiceAccount, Role and HPA name. */}}
{{- define "istiod.name" -}}
istiod{{ with .Values.revision }}-{{ . }}{{ end }}
{{- end -}}

{{/* The revision as labels and selectors spell it: "default" when none is set. */}}
{{- define "istiod.rev" -}}
{{ .Values.revision | default "default" }}
{{- end -}}

{{/* <name>[-<revision>]-<release namespace>: names of cluster-scoped objects, unique per install. */}}
{{- define "istiod.clusterName" -}}
{{ .name }}{{ with .root.Values.revision }}-{{ . }}{{ end }}-{{ .root.Release.Namespace }}
{{- end -}}

{{/* Labels of the objects upstream marks as part of the Pilot component. */}}
{{- define "istiod.pilotLabels" -}}
istio.io/rev: {{ include "istiod.rev" . | quote }}
install.operator.istio.io/owning-resource: {{ .Values.ownerName | default "unknown" }}
operator.istio.io/component: "Pilot"
release: {{ .Release.Name }}
app.kubernetes.io/name: "istiod"
{{ include "istio.labels" . }}
{{- end -}}

{{/* The Pods of this revision: istio=pilot for the default revision, istio.io/rev otherwise (as upstream). */}}
{{- define "istiod.selector" -}}
app: istiod
{{- if .Values.revision }}
istio.io/rev: {{ .Values.revision | quote }}
{{- else }}
istio: pilot
{{- end }}
{{- end -}}

{{/* The istiod image: `image` alone when it holds a "/", else <hub>/<image>:<tag>[-<variant>]. */}}
{{- define "istiod.image" -}}
{{- if contains "/" .Values.image -}}
{{ .Values.image }}
{{- else -}}
{{ .Values.hub | default .Values.global.hub }}/{{ .Values.image | default "istiod" }}:{{ .Values.tag | default .Chart.AppVersion }}{{ with .Values.variant }}-{{ . }}{{ end }}
{{- end -}}
{{- end -}}

{{/* Resource requirements without empty entries (`--set resources.limits.cpu=null` drops a limit). */}}
{{- define "istiod.resources" -}}
{{- $out := dict }}
{{- range $kind := list "limits" "requests" }}
{{- $set := dict }}
{{- range $name, $value := index $ $kind | default dict }}
{{- if $value }}{{ $_ := set $set $name $value }}{{ end }}
{{- end }}
{{- if $set }}{{ $_ := set $out $kind $set }}{{ end }}
{{- end }}
{{- toYaml $out }}
{{- end -}}
