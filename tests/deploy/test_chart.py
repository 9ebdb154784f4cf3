"""The Helm chart as a cluster would take it: lint clean, every manifest valid against the
Kubernetes API's schemas (offline, kubernetes-validate --strict), hardened pods, probes,
autoscaling, disruption budgets, hooks, the Prometheus operator's resources only where the
operator is, and every setting a service cannot start without."""

from __future__ import annotations

import copy
import json
from typing import Any

import helm_python
import kubernetes_validate
import pytest
import yaml

from tests.deploy.support import (
    ALERTS,
    CHART,
    DASHBOARDS,
    NAMESPACE,
    OPERATOR_APIS,
    PRODUCTION_VALUES,
    REQUIRED_VALUES,
    SERVICE_NAMES,
    RenderError,
    by_name,
    component,
    of_kind,
    render,
    setting_names,
)

# The newest Kubernetes whose schemas kubernetes-validate ships (no network needed).
KUBERNETES = kubernetes_validate.latest_version()
OPERATOR_KINDS = {"ServiceMonitor", "PrometheusRule"}
VALUE_SETS = {"default": REQUIRED_VALUES, "production": PRODUCTION_VALUES}


def pod_specs(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The pod template of every Deployment and Job, by name."""
    return {
        document["metadata"]["name"]: document["spec"]["template"]["spec"]
        for document in documents
        if document["kind"] in {"Deployment", "Job"}
    }


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_chart_lints_clean(values: dict[str, Any]) -> None:
    report = helm_python.lint(
        str(CHART), values, strict=True, namespace=NAMESPACE, kube_version=f"v{KUBERNETES}"
    )
    assert not report["errors"], report["errors"]
    # Severity 1 is information ("icon is recommended"); warnings fail a strict lint.
    assert [message for message in report["messages"] if message["severity"] >= 2] == []


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_every_manifest_is_valid_for_the_kubernetes_api(values: dict[str, Any]) -> None:
    documents = render(values, OPERATOR_APIS)
    assert len(documents) > 20
    for document in documents:
        if document["kind"] in OPERATOR_KINDS:
            continue  # custom resources: checked below against what the operator reads
        try:
            kubernetes_validate.validate(document, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{document['kind']} {document['metadata']['name']}: {error.message}")


def test_the_validator_refuses_an_unknown_field() -> None:
    """So that the test above can fail: strict validation rejects what Kubernetes ignores."""
    deployment = by_name(render(REQUIRED_VALUES), "Deployment")[component("tickets")]
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_every_pod_is_non_root_read_only_and_without_capabilities(values: dict[str, Any]) -> None:
    for name, pod in pod_specs(render(values)).items():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert container["resources"]["requests"], f"{name} requests nothing"
            assert container["resources"]["limits"]["memory"], f"{name} has no memory limit"
            mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
            assert "/tmp" in mounts, f"{name}: nothing writable"


def test_every_service_is_probed_on_healthz_and_readyz() -> None:
    deployments = by_name(render(REQUIRED_VALUES), "Deployment")
    for name in SERVICE_NAMES:
        container = deployments[component(name)]["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_migrations_run_as_hooks_before_install_and_upgrade() -> None:
    jobs = by_name(render(REQUIRED_VALUES), "Job")
    deployments = by_name(render(REQUIRED_VALUES), "Deployment")
    for name in SERVICE_NAMES:
        job = jobs[component(f"{name}-migrate")]
        assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
        env = deployments[component(name)]["spec"]["template"]["spec"]["containers"][0]["env"]
        assert {"name": "GUICHET_MIGRATE_ON_START", "value": "false"} in env
    without = render({**REQUIRED_VALUES, "migrations": {"enabled": False}})
    assert not of_kind(without, "Job")
    for deployment in of_kind(without, "Deployment"):
        env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        assert {"name": "GUICHET_MIGRATE_ON_START", "value": "true"} in env


def test_autoscaling_replaces_fixed_replicas_and_a_service_may_opt_out() -> None:
    values = {
        **REQUIRED_VALUES,
        "autoscaling": {"enabled": True, "maxReplicas": 8},
        "services": {
            "identity": {"autoscaling": {"maxReplicas": 3}},
            "tickets": {"autoscaling": {"enabled": False}},
        },
    }
    documents = render(values)
    autoscalers = by_name(documents, "HorizontalPodAutoscaler")
    assert set(autoscalers) == {component(name) for name in SERVICE_NAMES} - {component("tickets")}
    assert autoscalers[component("identity")]["spec"]["maxReplicas"] == 3
    assert autoscalers[component("gateway")]["spec"]["maxReplicas"] == 8
    assert autoscalers[component("gateway")]["spec"]["scaleTargetRef"]["name"] == component(
        "gateway"
    )
    deployments = by_name(documents, "Deployment")
    assert "replicas" not in deployments[component("gateway")]["spec"]
    assert deployments[component("tickets")]["spec"]["replicas"] == 2
    assert not of_kind(render(REQUIRED_VALUES), "HorizontalPodAutoscaler")


def test_every_service_has_a_disruption_budget_that_never_blocks_a_drain() -> None:
    budgets = by_name(render(REQUIRED_VALUES), "PodDisruptionBudget")
    for name in SERVICE_NAMES:
        spec = budgets[component(name)]["spec"]
        assert spec == {
            "maxUnavailable": 1,
            "selector": {
                "matchLabels": {
                    "app.kubernetes.io/name": "guichet",
                    "app.kubernetes.io/instance": "rel",
                    "app.kubernetes.io/component": name,
                }
            },
        }


def test_web_can_be_switched_off_leaving_the_api_alone() -> None:
    documents = render({**REQUIRED_VALUES, "services": {"web": {"enabled": False}}})
    assert component("web") not in by_name(documents, "Deployment")
    assert component("web-migrate") not in by_name(documents, "Job")
    assert set(by_name(documents, "Secret")) == {component("sealing-key")}
    (ingress,) = of_kind(documents, "Ingress")
    paths = ingress["spec"]["rules"][0]["http"]["paths"]
    assert {path["path"] for path in paths} == {"/api", "/openapi.json", "/docs", "/.well-known"}
    gateway = by_name(documents, "Deployment")[component("gateway")]
    env = {
        item["name"]: item for item in gateway["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert "web" not in json.loads(env["GUICHET_UPSTREAMS"]["value"])
    gateway_policy = by_name(documents, "NetworkPolicy")[component("gateway")]["spec"]
    assert [rule for rule in gateway_policy["ingress"] if rule.get("from")] == []


def test_operator_resources_only_where_the_operator_is() -> None:
    assert not [d for d in render(REQUIRED_VALUES) if d["kind"] in OPERATOR_KINDS]
    documents = render(PRODUCTION_VALUES, OPERATOR_APIS)
    (monitor,) = of_kind(documents, "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "guichet",
        "app.kubernetes.io/instance": "rel",
    }
    (endpoint,) = monitor["spec"]["endpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
    # The dashboards and rules group by `service`, as under compose.
    assert {
        "sourceLabels": ["__meta_kubernetes_service_label_app_kubernetes_io_component"],
        "targetLabel": "service",
    } in endpoint["relabelings"]
    (rule,) = of_kind(documents, "PrometheusRule")
    assert rule["spec"] == yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    forced = {"monitoring": {"serviceMonitor": {"force": True}, "prometheusRule": {"force": True}}}
    assert {d["kind"] for d in render({**REQUIRED_VALUES, **forced})} >= OPERATOR_KINDS


def test_dashboards_ship_as_configmaps_for_grafanas_sidecar() -> None:
    documents = render(PRODUCTION_VALUES)
    shipped = {
        name: document["data"]
        for name, document in by_name(documents, "ConfigMap").items()
        if document["metadata"]["labels"].get("grafana_dashboard") == "1"
    }
    files = sorted(DASHBOARDS.glob("*.json"))
    assert len(shipped) == len(files) > 0
    contents = {key: value for data in shipped.values() for key, value in data.items()}
    for path in files:
        assert contents[path.name].strip() == path.read_text(encoding="utf-8").strip()


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_every_setting_the_service_needs_is_wired_and_every_wired_one_is_read(name: str) -> None:
    documents = render(PRODUCTION_VALUES)
    shared = set(by_name(documents, "ConfigMap")[component("config")]["data"])
    every, required = setting_names(name)
    for workload in (component(name), component(f"{name}-migrate")):
        container = pod_specs(documents)[workload]["containers"][0]
        wired = {item["name"] for item in container["env"]}
        if container.get("envFrom"):
            wired |= shared
        assert required <= wired, f"{workload} misses {sorted(required - wired)}"
        assert wired <= every, f"{workload} sets what {name} never reads: {sorted(wired - every)}"


@pytest.mark.parametrize("service", ["tickets", "billing"])
def test_a_service_s_files_go_to_a_volume_or_to_an_s3_bucket_never_both(service: str) -> None:
    def tickets_pod(values: dict[str, Any]) -> dict[str, Any]:
        return pod_specs(render(values))[component(service)]

    def env(pod: dict[str, Any]) -> dict[str, Any]:
        return {
            item["name"]: item.get("value", item.get("valueFrom"))
            for item in pod["containers"][0]["env"]
        }

    on_volume = tickets_pod(REQUIRED_VALUES)
    assert "attachments" in {volume["name"] for volume in on_volume["volumes"]}
    assert not {name for name in env(on_volume) if name.startswith("GUICHET_ATTACHMENTS_S3")}

    in_bucket = tickets_pod(PRODUCTION_VALUES)
    assert "attachments" not in {volume["name"] for volume in in_bucket["volumes"]}
    assert "attachments" not in {m["name"] for m in in_bucket["containers"][0]["volumeMounts"]}
    wired = env(in_bucket)
    assert wired["GUICHET_ATTACHMENTS_S3_BUCKET"] == "acme-portal-attachments"
    assert wired["GUICHET_ATTACHMENTS_S3_URL"] == "https://s3.fr-par.scw.cloud"
    assert wired["GUICHET_ATTACHMENTS_S3_REGION"] == "fr-par"
    assert wired["GUICHET_ATTACHMENTS_S3_PATH_STYLE"] == "false"
    assert wired["GUICHET_ATTACHMENTS_S3_PREFIX"] == (
        "invoices/" if service == "billing" else "attachments/"
    )
    assert wired["GUICHET_ATTACHMENTS_S3_SECRET_ACCESS_KEY"] == {
        "secretKeyRef": {"name": "guichet-s3", "key": "secret-access-key"}
    }
    assert wired["GUICHET_ATTACHMENTS_S3_ACCESS_KEY_ID"]["secretKeyRef"]["name"] == "guichet-s3"

    both = copy.deepcopy(PRODUCTION_VALUES)
    both["services"][service]["attachments"]["existingClaim"] = "attachments-rwx"
    with pytest.raises(RenderError, match=r"set s3\.bucket or existingClaim, not both"):
        render(both)
