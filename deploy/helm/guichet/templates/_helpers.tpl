{{/*
Names, labels and the parts every service shares. A service's resources are rendered by
"guichet.service", called once per entry of values' `services` from templates/services.yaml.
*/}}

{{- define "guichet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's prefix of every resource name, at most 63 characters. */}}
{{- define "guichet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of one service's resources. Takes (dict "root" $ "name" "tickets"). */}}
{{- define "guichet.componentName" -}}
{{- printf "%s-%s" (include "guichet.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "guichet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. Takes (dict "root" $ "name" "<service>"); name may be empty. */}}
{{- define "guichet.labels" -}}
helm.sh/chart: {{ include "guichet.chart" .root }}
{{ include "guichet.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: guichet
{{- end }}

{{/* Labels a Service and a Deployment select one service's pods by. */}}
{{- define "guichet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "guichet.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .name }}
app.kubernetes.io/component: {{ .name }}
{{- end }}
{{- end }}

{{/* The image every service runs: by digest when one is given, else by tag. */}}
{{- define "guichet.image" -}}
{{- $image := .Values.image }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository (default .Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/* Name of the ConfigMap holding the settings every service shares. */}}
{{- define "guichet.configName" -}}
{{- printf "%s-config" (include "guichet.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The settings every service shares, as a YAML map of GUICHET_* names to string values. The
ConfigMap holds them; the migration Jobs, which run before the ConfigMap exists on a first
install, set them directly.
*/}}
{{- define "guichet.config" -}}
{{- $kafka := .Values.kafka }}
{{- if not (regexMatch "^[a-z][a-z0-9-]{0,40}$" (toString $kafka.namespace)) }}
{{- fail "kafka.namespace: lowercase letters, digits and dashes, starting with a letter, at most 41 characters" }}
{{- end -}}
GUICHET_PUBLIC_URL: {{ required "publicUrl is required: where users reach the portal" .Values.publicUrl | quote }}
GUICHET_KAFKA_BOOTSTRAP: {{ required "kafka.bootstrap is required (host:port[,host:port])" $kafka.bootstrap | quote }}
GUICHET_KAFKA_NAMESPACE: {{ $kafka.namespace | quote }}
GUICHET_KAFKA_PARTITIONS: {{ $kafka.partitions | toString | quote }}
GUICHET_KAFKA_REPLICATION_FACTOR: {{ $kafka.replicationFactor | toString | quote }}
GUICHET_HTTP_HOST: "0.0.0.0"
GUICHET_HTTP_PORT: {{ .Values.service.port | toString | quote }}
GUICHET_LOG_LEVEL: {{ .Values.log.level | quote }}
GUICHET_LOG_FORMAT: {{ .Values.log.format | quote }}
GUICHET_TIMEZONE: {{ required "timezone is required: the vendor's IANA time zone" .Values.timezone | quote }}
{{- with .Values.otlpEndpoint }}
GUICHET_OTLP_ENDPOINT: {{ . | quote }}
{{- end }}
{{- end }}

{{/*
Environment of one service that is not in the ConfigMap: secrets, then the service's own
settings. Takes (dict "root" $ "name" "<service>" "values" <the service's values>).
*/}}
{{- define "guichet.serviceEnv" -}}
{{- $root := .root -}}
- name: GUICHET_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "database.existingSecret is required: a Secret holding the PostgreSQL URL" $root.Values.database.existingSecret }}
      key: {{ $root.Values.database.secretKey | default "url" }}
{{- if .values.smtp }}
- name: GUICHET_SMTP_URL
  valueFrom:
    secretKeyRef:
      name: {{ required (printf "smtp.existingSecret is required: %s sends mail" .name) $root.Values.smtp.existingSecret }}
      key: {{ $root.Values.smtp.secretKey | default "url" }}
{{- end }}
{{- if .values.sealingKey }}
- name: GUICHET_SEALING_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "guichet.sealingKeySecretName" $root }}
      key: {{ $root.Values.sealingKey.secretKey | default "key" }}
{{- end }}
{{- if has "identity" (include "guichet.calls" . | fromJsonArray) }}
# Where access tokens' verification keys (JWKS) are fetched.
- name: GUICHET_IDENTITY_URL
  value: {{ include "guichet.identityUrl" $root | quote }}
{{- end }}
{{- if eq .name "identity" }}
{{- with .values.passwordPolicy }}
- name: GUICHET_PASSWORD_POLICY
  value: {{ toJson . | quote }}
{{- end }}
{{- $logo := .values.logo | default dict }}
{{- if $logo.existingConfigMap }}
- name: GUICHET_VENDOR_LOGO_PATH
  value: {{ printf "/etc/guichet/branding/%s" (required "services.identity.logo.key is required with logo.existingConfigMap" $logo.key) | quote }}
{{- end }}
{{- end }}
{{- if eq .name "web" }}
{{- if not $root.Values.services.gateway.enabled }}
{{- fail "services.web needs services.gateway: every page's data comes from the gateway's API" }}
{{- end }}
# Every page's data: the public API, through the gateway.
- name: GUICHET_GATEWAY_URL
  value: {{ printf "http://%s:%v" (include "guichet.componentName" (dict "root" $root "name" "gateway")) $root.Values.service.port | quote }}
# The portal's own key for its sessions, never the sealing key.
- name: GUICHET_SESSION_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "guichet.sessionKeySecretName" $root }}
      key: {{ (.values.sessionKey | default dict).secretKey | default "key" }}
{{- if not (hasKey (.values.env | default dict) "GUICHET_SECURE_COOKIES") }}
# Secure, __Host- session cookie whenever the portal is served over https.
- name: GUICHET_SECURE_COOKIES
  value: {{ eq (urlParse $root.Values.publicUrl).scheme "https" | toString | quote }}
{{- end }}
{{- end }}
{{- if hasKey .values "attachments" }}
{{- include "guichet.attachmentsS3Env" .values }}
{{- end }}
{{- if eq .name "gateway" }}
- name: GUICHET_UPSTREAMS
  value: {{ include "guichet.upstreams" $root | quote }}
{{- with .values.trustedProxies }}
- name: GUICHET_TRUSTED_PROXIES
  value: {{ toJson . | quote }}
{{- end }}
{{- end }}
{{- range $key, $value := .values.env }}
- name: {{ $key }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/*
Volumes a service needs besides /tmp (the identity service's logo, the files of a service with
`attachments`: tickets' attachments, billing's invoice PDFs), and where they are
mounted. Takes (dict "root" $ "name" "<service>" "values" <the service's values>).
*/}}
{{- define "guichet.extraVolumes" -}}
{{- $logo := .values.logo | default dict }}
{{- if and (hasKey .values "attachments") (not (include "guichet.attachmentsInS3" .values)) }}
{{- $attachments := .values.attachments | default dict }}
- name: attachments
{{- if $attachments.existingClaim }}
  persistentVolumeClaim:
    claimName: {{ $attachments.existingClaim }}
{{- else }}
  # No claim given: uploads live as long as the pod (fine to try the chart, not for use).
  emptyDir: {}
{{- end }}
{{- end }}
{{- if and (eq .name "identity") $logo.existingConfigMap }}
- name: branding
  configMap:
    name: {{ $logo.existingConfigMap }}
{{- end }}
{{- end }}

{{- define "guichet.extraVolumeMounts" -}}
{{- $logo := .values.logo | default dict }}
{{- if and (hasKey .values "attachments") (not (include "guichet.attachmentsInS3" .values)) }}
- name: attachments
  mountPath: /var/lib/guichet/attachments
{{- end }}
{{- if and (eq .name "identity") $logo.existingConfigMap }}
- name: branding
  mountPath: /etc/guichet/branding
  readOnly: true
{{- end }}
{{- end }}

{{/*
"true" when a service's files go to an S3 bucket (attachments.s3.bucket), else "".
Takes the service's values; a claim given as well is refused rather than ignored.
*/}}
{{- define "guichet.attachmentsInS3" -}}
{{- $attachments := .attachments | default dict }}
{{- $s3 := $attachments.s3 | default dict }}
{{- if $s3.bucket }}
{{- if $attachments.existingClaim }}
{{- fail "services.<name>.attachments: set s3.bucket or existingClaim, not both" }}
{{- end }}
{{- print "true" }}
{{- end }}
{{- end }}

{{/* The S3 settings of a service's files, the keys from the operator's Secret. */}}
{{- define "guichet.attachmentsS3Env" -}}
{{- if include "guichet.attachmentsInS3" . }}
{{- $s3 := .attachments.s3 }}
- name: GUICHET_ATTACHMENTS_S3_BUCKET
  value: {{ $s3.bucket | quote }}
{{- with $s3.url }}
- name: GUICHET_ATTACHMENTS_S3_URL
  value: {{ . | quote }}
{{- end }}
{{- with $s3.region }}
- name: GUICHET_ATTACHMENTS_S3_REGION
  value: {{ . | quote }}
{{- end }}
- name: GUICHET_ATTACHMENTS_S3_PREFIX
  value: {{ $s3.prefix | default "" | quote }}
- name: GUICHET_ATTACHMENTS_S3_PATH_STYLE
  value: {{ $s3.pathStyle | default false | toString | quote }}
{{- with $s3.existingSecret }}
- name: GUICHET_ATTACHMENTS_S3_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $s3.accessKeyIdKey | default "access-key-id" }}
- name: GUICHET_ATTACHMENTS_S3_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $s3.secretAccessKeyKey | default "secret-access-key" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Internal URL of the identity service: where every other service fetches the JWKS. */}}
{{- define "guichet.identityUrl" -}}
{{- if .Values.identityUrl }}
{{- .Values.identityUrl }}
{{- else }}
{{- if not .Values.services.identity.enabled }}
{{- fail "services.identity is disabled: set identityUrl to where the other services reach identity" }}
{{- end }}
{{- printf "http://%s:%v" (include "guichet.componentName" (dict "root" . "name" "identity")) .Values.service.port }}
{{- end }}
{{- end }}

{{/* GUICHET_UPSTREAMS of the gateway: every enabled upstream's internal URL, as JSON. */}}
{{- define "guichet.upstreams" -}}
{{- $root := . }}
{{- $upstreams := dict }}
{{- range $name, $values := .Values.services }}
{{- if and $values.enabled $values.upstream }}
{{- $_ := set $upstreams $name (printf "http://%s:%v" (include "guichet.componentName" (dict "root" $root "name" $name)) $root.Values.service.port) }}
{{- end }}
{{- end }}
{{- if and (not .Values.services.identity.enabled) .Values.identityUrl }}
{{- $_ := set $upstreams "identity" .Values.identityUrl }}
{{- end }}
{{- toJson $upstreams }}
{{- end }}

{{/*
The Guichet services one service calls, as a JSON list: its `calls`, and for the gateway
every enabled upstream too. Takes (dict "root" $ "name" "<service>" "values" <its values>).
*/}}
{{- define "guichet.calls" -}}
{{- $calls := list }}
{{- range (.values.calls | default list) }}
{{- $calls = append $calls . }}
{{- end }}
{{- if eq .name "gateway" }}
{{- range $name, $values := .root.Values.services }}
{{- if and $values.enabled $values.upstream }}
{{- $calls = append $calls $name }}
{{- end }}
{{- end }}
{{- end }}
{{- $calls | uniq | sortAlpha | toJson }}
{{- end }}

{{/*
The enabled Guichet services that call one service, as a JSON list.
Takes (dict "root" $ "name" "<service>").
*/}}
{{- define "guichet.callers" -}}
{{- $root := .root }}
{{- $target := .name }}
{{- $callers := list }}
{{- range $name, $values := $root.Values.services }}
{{- if $values.enabled }}
{{- $calls := include "guichet.calls" (dict "root" $root "name" $name "values" $values) | fromJsonArray }}
{{- if has $target $calls }}
{{- $callers = append $callers $name }}
{{- end }}
{{- end }}
{{- end }}
{{- $callers | toJson }}
{{- end }}

{{/* The autoscaling of one service: the top-level `autoscaling`, overridden by its own. */}}
{{- define "guichet.autoscaling" -}}
{{- $own := .values.autoscaling | default dict }}
{{- $result := dict }}
{{- /* Key by key, not `merge`, which would let a default `true` beat a service's `false`. */}}
{{- range $key, $value := .root.Values.autoscaling }}
{{- $_ := set $result $key (ternary (get $own $key) $value (hasKey $own $key)) }}
{{- end }}
{{- $result | toJson }}
{{- end }}

{{/*
Name of the Secret holding GUICHET_SEALING_KEY: values' sealingKey.existingSecret, or the one
this chart makes from sealingKey.value. Shared by identity and notifications only.
*/}}
{{- define "guichet.sealingKeySecretName" -}}
{{- if .Values.sealingKey.existingSecret }}
{{- .Values.sealingKey.existingSecret }}
{{- else }}
{{- printf "%s-sealing-key" (include "guichet.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
Name of the Secret holding the web portal's GUICHET_SESSION_KEY: services.web.sessionKey.
existingSecret, or the one this chart makes (templates/web-session-key-secret.yaml). Never the
sealing key's Secret: the portal must not be able to open identity's sealed links.
*/}}
{{- define "guichet.sessionKeySecretName" -}}
{{- $sessionKey := .Values.services.web.sessionKey | default dict }}
{{- $name := printf "%s-web-session-key" (include "guichet.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- if $sessionKey.existingSecret }}
{{- $name = $sessionKey.existingSecret }}
{{- end }}
{{- if eq $name (include "guichet.sealingKeySecretName" .) }}
{{- fail "services.web.sessionKey.existingSecret names the sealing key's Secret: the web portal needs a key of its own" }}
{{- end }}
{{- $name }}
{{- end }}

{{/*
Everything one service needs: its ServiceAccount, Service, Deployment, PodDisruptionBudget
and, with autoscaling, HorizontalPodAutoscaler.
Takes (dict "root" $ "name" "<service>" "values" .Values.services.<service>).
*/}}
{{- define "guichet.service" -}}
{{- $root := .root }}
{{- $values := .values }}
{{- if $values.enabled }}
{{- $component := include "guichet.componentName" . }}
{{- $labels := include "guichet.labels" . }}
{{- $autoscaling := include "guichet.autoscaling" . | fromJson }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $component }}
  labels:
    {{- $labels | nindent 4 }}
  {{- with $root.Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
# The services never call the Kubernetes API.
automountServiceAccountToken: false
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $component }}
  labels:
    {{- $labels | nindent 4 }}
spec:
  type: {{ $root.Values.service.type }}
  selector:
    {{- include "guichet.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $root.Values.service.port }}
      targetPort: http
      protocol: TCP
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $component }}
  labels:
    {{- $labels | nindent 4 }}
spec:
  {{- if not $autoscaling.enabled }}
  replicas: {{ $values.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "guichet.selectorLabels" . | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels:
        {{- $labels | nindent 8 }}
      annotations:
        # A change of the shared settings rolls the pods.
        checksum/config: {{ include "guichet.config" $root | sha256sum }}
        {{- with $values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ $component }}
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      # aiohttp stops within 10 s of SIGTERM; the preStop pause lets endpoints update first.
      terminationGracePeriodSeconds: 30
      containers:
        - name: {{ .name }}
          image: {{ include "guichet.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: ["python", "-m", "services.{{ .name }}", "serve"]
          ports:
            - name: http
              containerPort: {{ $root.Values.service.port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "guichet.configName" $root }}
          env:
            # The migration Jobs apply migrations before pods start; without them, pods do.
            - name: GUICHET_MIGRATE_ON_START
              value: {{ if $root.Values.migrations.enabled }}"false"{{ else }}"true"{{ end }}
            {{- include "guichet.serviceEnv" . | nindent 12 }}
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            {{- toYaml $root.Values.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            {{- toYaml $root.Values.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            {{- toYaml $root.Values.probes.readiness | nindent 12 }}
          lifecycle:
            preStop:
              exec:
                command: ["sleep", "5"]
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- include "guichet.extraVolumeMounts" . | nindent 12 }}
      volumes:
        # The root filesystem is read-only; /tmp is the one writable place.
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        {{- include "guichet.extraVolumes" . | nindent 8 }}
      {{- with $values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- if $root.Values.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $component }}
  labels:
    {{- $labels | nindent 4 }}
spec:
  maxUnavailable: {{ $root.Values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "guichet.selectorLabels" . | nindent 6 }}
{{- end }}
{{- if $autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $component }}
  labels:
    {{- $labels | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $component }}
  minReplicas: {{ $autoscaling.minReplicas }}
  maxReplicas: {{ $autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- end }}
{{- end }}
