"""What the deployment tests share: the files under test, the chart rendered by Helm's own
engine (helm-python-sdk, in-process), and each service's settings."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import helm_python
import yaml
from helm_python import _native

from devstack.services import SERVICES
from shared.sealing import new_sealing_key
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
CHART = ROOT / "deploy" / "helm" / "guichet"
ALERTS = CHART / "files" / "alerts.yaml"
DASHBOARDS = CHART / "files" / "dashboards"
PROMETHEUS_CONFIG = ROOT / "deploy" / "compose" / "prometheus.yml"

SERVICE_NAMES = [service.name for service in SERVICES]
RELEASE = "rel"
NAMESPACE = "ns"
KEY = new_sealing_key()
# What every install needs (the chart refuses to render without a sealing key).
REQUIRED_VALUES: dict[str, Any] = {"sealingKey": {"value": KEY}}
# The usual production setup: managed PostgreSQL over TLS, a Strimzi Kafka, autoscaling,
# restricted egress, the first admin, existing sealing-key and session-key Secrets, trusted
# proxies, the image by digest, attachments in an S3 bucket.
PRODUCTION_VALUES: dict[str, Any] = {
    "publicUrl": "https://portal.acme.example/",
    "image": {"repository": "registry.acme.example/guichet", "digest": "sha256:" + "a" * 64},
    "imagePullSecrets": [{"name": "regcred"}],
    "database": {"existingSecret": "guichet-db", "secretKey": "uri"},
    "kafka": {
        "bootstrap": "guichet-kafka-bootstrap.kafka.svc:9092",
        "namespace": "acme-prod",
        "partitions": 12,
        "replicationFactor": 3,
    },
    "sealingKey": {"existingSecret": "guichet-sealing", "secretKey": "key"},
    "otlpEndpoint": "http://otel-collector.observability.svc:4318",
    "createAdmin": {"enabled": True},
    "autoscaling": {"enabled": True, "minReplicas": 2, "maxReplicas": 10},
    "services": {
        "identity": {"autoscaling": {"maxReplicas": 4}},
        # The pod network: the ingress controller's pods and web's call the gateway.
        "gateway": {"trustedProxies": ["10.244.0.0/16"]},
        "web": {"sessionKey": {"existingSecret": "guichet-web-session", "secretKey": "key"}},
        # Attachments in a bucket of an S3-compatible provider, keys from a Secret.
        "tickets": {
            "attachments": {
                "s3": {
                    "bucket": "acme-portal-attachments",
                    "url": "https://s3.fr-par.scw.cloud",
                    "region": "fr-par",
                    "existingSecret": "guichet-s3",
                }
            }
        },
        # Invoice PDFs in the same bucket, under their own prefix.
        "billing": {
            "attachments": {
                "s3": {
                    "bucket": "acme-portal-attachments",
                    "url": "https://s3.fr-par.scw.cloud",
                    "region": "fr-par",
                    "prefix": "invoices/",
                    "existingSecret": "guichet-s3",
                }
            }
        },
    },
    "ingress": {
        "className": "nginx",
        "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"},
        "tls": [{"secretName": "portal-tls", "hosts": ["portal.acme.example"]}],
    },
    "networkPolicy": {
        "publicFrom": [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}
        ],
        "metricsFrom": [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
        ],
        "restrictEgress": True,
        "egressTo": [
            {"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}], "ports": [{"port": 5432}]},
            {
                "to": [
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kafka"}}}
                ],
                "ports": [{"port": 9092}],
            },
        ],
        "smtpEgressTo": [
            {"to": [{"ipBlock": {"cidr": "192.0.2.10/32"}}], "ports": [{"port": 587}]}
        ],
    },
    "monitoring": {
        "serviceMonitor": {"labels": {"release": "kube-prometheus-stack"}},
        "prometheusRule": {"labels": {"release": "kube-prometheus-stack"}},
        "grafanaDashboards": {"enabled": True},
    },
}
# The Prometheus operator's kinds, as `helm install` sees them on a cluster that has them.
OPERATOR_APIS = [
    "monitoring.coreos.com/v1",
    "monitoring.coreos.com/v1/ServiceMonitor",
    "monitoring.coreos.com/v1/PrometheusRule",
]


class RenderError(Exception):
    pass


def render(values: dict[str, Any], api_versions: list[str] | None = None) -> list[dict[str, Any]]:
    """`helm template` of the chart: every manifest, NOTES left out. `api_versions` are what
    the cluster serves beyond the built-in kinds (helm's --api-versions)."""
    options = {"name": RELEASE, "namespace": NAMESPACE, "api_versions": api_versions or []}
    with helm_python.Chart.load(str(CHART)) as chart:
        try:
            # Chart.render has no api_versions argument; the library's render call takes it.
            rendered = _native.call_string(
                "helm_render", chart._raw(), json.dumps(values), json.dumps(options)
            )
        except helm_python.HelmError as error:
            raise RenderError(str(error)) from error
    manifests: dict[str, str] = json.loads(rendered)
    text = "\n---\n".join(body for path, body in manifests.items() if not path.endswith(".txt"))
    return [document for document in yaml.safe_load_all(text) if document]


def component(name: str) -> str:
    return f"{RELEASE}-guichet-{name}"


def of_kind(documents: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [document for document in documents if document["kind"] == kind]


def by_name(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {document["metadata"]["name"]: document for document in of_kind(documents, kind)}


def workloads(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Deployments and Jobs by name, each as its first container's env by variable."""
    found = {}
    for document in documents:
        if document["kind"] in {"Deployment", "Job"}:
            container = document["spec"]["template"]["spec"]["containers"][0]
            found[document["metadata"]["name"]] = {
                item["name"]: item for item in container.get("env", [])
            }
    return found


def chart_values() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))


def compose_services() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return document["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A compose service's environment, whether written as a mapping or as KEY=VALUE items."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.partition("=")[::2] for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def settings_class(service: str) -> type[ServiceSettings]:
    """The settings a service reads: its settings module's class, else the kit's."""
    try:
        module = importlib.import_module(f"services.{service}.settings")
    except ModuleNotFoundError:
        return ServiceSettings
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ServiceSettings)
        and value.__module__ == module.__name__
    ]
    assert len(classes) == 1, f"services/{service}/settings.py should define one settings class"
    return classes[0]


def setting_names(service: str) -> tuple[set[str], set[str]]:
    """(every GUICHET_* variable the service reads, those it cannot start without)."""
    fields = settings_class(service).model_fields
    every = {f"GUICHET_{name.upper()}" for name in fields}
    required = {f"GUICHET_{name.upper()}" for name, field in fields.items() if field.is_required()}
    return every, required
