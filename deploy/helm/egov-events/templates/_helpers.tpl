{{/* Names and labels */}}
{{- define "egov.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "egov.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of one service: (dict "root" $ "name" $name) */}}
{{- define "egov.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "egov.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* One service's values: the defaults overridden by services.<name> */}}
{{- define "egov.service" -}}
{{- $raw := index .root.Values.services .name -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.defaults) (deepCopy $raw)) -}}
{{- end -}}

{{/* The secret settings of one service held in the chart's Secret (dict "root" "name" "svc"),
as YAML of name: value (plain text); secretSettings replace the chart's own. */}}
{{- define "egov.secretData" -}}
{{- $root := .root -}}
{{- $svc := .svc -}}
{{- $p := $svc.prefix -}}
{{- $data := dict -}}
{{- if not $svc.databaseUrlSecret.name -}}
{{- $password := required (printf "services.%s.databasePassword (or existingSecret, or databaseUrlSecret) is required" .name) $svc.databasePassword -}}
{{- $_ := set $data (printf "%sDATABASE_URL" $p) (printf "postgresql://%s:%s@%s:%v/%s?sslmode=%s" $svc.database (urlquery $password) $root.Values.postgres.host $root.Values.postgres.port $svc.database $root.Values.postgres.sslmode) -}}
{{- end -}}
{{- $_ := set $data (printf "%sJWT_SECRET" $p) (required "secrets.jwtSecret (or the services' existingSecret) is required" $root.Values.secrets.jwtSecret) -}}
{{- $_ := set $data (printf "%sPERSONAL_DATA_KEY" $p) (required "secrets.personalDataKey (or the services' existingSecret) is required" $root.Values.secrets.personalDataKey) -}}
{{- if and (hasPrefix "SASL_" $root.Values.kafka.securityProtocol) (not $svc.kafkaPasswordSecret.name) -}}
{{- $_ := set $data (printf "%sKAFKA_SASL_PASSWORD" $p) (required (printf "services.%s.kafkaPassword is required with %s" .name $root.Values.kafka.securityProtocol) $svc.kafkaPassword) -}}
{{- end -}}
{{- range $key, $value := $svc.secretSettings -}}
{{- $_ := set $data (printf "%s%s" $p $key) (toString $value) -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{/* The name of the Secret a service's secret settings are in */}}
{{- define "egov.secretName" -}}
{{- if .svc.existingSecret -}}
{{- .svc.existingSecret -}}
{{- else -}}
{{- printf "%s-%s" (include "egov.fullname" .root) .name -}}
{{- end -}}
{{- end -}}

{{/* Settings taken from Secrets managed elsewhere (CloudNativePG, Strimzi): env entries */}}
{{- define "egov.externalSecretEnv" -}}
{{- $p := .svc.prefix -}}
{{- if .svc.databaseUrlSecret.name }}
- name: {{ $p }}DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ .svc.databaseUrlSecret.name | quote }}, key: {{ .svc.databaseUrlSecret.key | quote }}}
{{- end }}
{{- if and (hasPrefix "SASL_" .root.Values.kafka.securityProtocol) .svc.kafkaPasswordSecret.name }}
- name: {{ $p }}KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ .svc.kafkaPasswordSecret.name | quote }}, key: {{ .svc.kafkaPasswordSecret.key | quote }}}
{{- end }}
{{- end -}}

{{- define "egov.schemaBaseUrl" -}}
{{- $procedures := index .Values.services "admin-procedures" -}}
{{- if .Values.schemaBaseUrl -}}
{{- .Values.schemaBaseUrl -}}
{{- else if and .Values.ingress.enabled $procedures.ingress.host -}}
{{- printf "https://%s/schemas/" $procedures.ingress.host -}}
{{- else -}}
{{- printf "http://%s-admin-procedures:%v/schemas/" (include "egov.fullname" .) .Values.service.port -}}
{{- end -}}
{{- end -}}

{{/* Kafka client settings with a prefix: (dict "root" $ "prefix" "EGOV_X_" "username" "x") */}}
{{- define "egov.kafkaSettings" -}}
{{- $k := .root.Values.kafka -}}
{{ .prefix }}KAFKA_BOOTSTRAP_SERVERS: {{ $k.bootstrapServers | quote }}
{{ .prefix }}KAFKA_SECURITY_PROTOCOL: {{ $k.securityProtocol | quote }}
{{ .prefix }}KAFKA_IDEMPOTENCE: {{ $k.idempotence | toString | quote }}
{{- if hasPrefix "SASL_" $k.securityProtocol }}
{{ .prefix }}KAFKA_SASL_MECHANISM: {{ $k.saslMechanism | quote }}
{{ .prefix }}KAFKA_SASL_USERNAME: {{ .username | quote }}
{{- end }}
{{- if $k.caSecret.name }}
{{ .prefix }}KAFKA_SSL_CAFILE: /etc/egov/kafka/ca.crt
{{- end }}
{{- end -}}
