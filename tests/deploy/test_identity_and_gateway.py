"""Deploying identity and the gateway: the sealing key reaches identity and notifications
only, every other service knows where identity's keys are, and only the gateway is reachable
from outside (compose's published ports, the chart's Ingress and NetworkPolicies).

The Helm tests render the chart with the `helm` command or, without it, the helm-python-sdk
package (Helm's Go engine as a library, a dev dependency), so they always run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter, ValidationError

from devstack.services import SERVICES
from shared.sealing import SealingKey, new_sealing_key
from tests.deploy.test_deploy_files import CHART, compose_services, environment

try:
    import helm_python
except ImportError:
    helm_python = None

# The gateway is deployed whether or not devstack's list has it yet.
DEPLOYED = sorted({service.name for service in SERVICES} | {"gateway"})
SEALED = {"identity", "notifications"}
RELEASE = "rel"
PUBLIC_PATHS = {"/api", "/openapi.json", "/docs", "/.well-known"}


# --- docker-compose.yml ------------------------------------------------------------------


def test_compose_runs_the_gateway_like_every_service() -> None:
    gateway = compose_services()["gateway"]
    assert gateway["build"]["args"]["SERVICE"] == "gateway"
    assert "services.gateway" in str(gateway["command"])
    assert "/readyz" in str(gateway["healthcheck"]["test"])
    for dependency in ("postgres", "kafka", "identity"):
        assert gateway["depends_on"][dependency]["condition"] == "service_healthy"


def test_compose_gives_the_sealing_key_to_identity_and_notifications_only() -> None:
    services = compose_services()
    holders = {
        name for name, service in services.items() if "GUICHET_SEALING_KEY" in environment(service)
    }
    # create-admin is identity's own one-off command.
    assert holders == SEALED | {"create-admin"}
    keys = {environment(services[name])["GUICHET_SEALING_KEY"] for name in holders}
    assert len(keys) == 1, "identity and notifications must share one sealing key"


def test_compose_development_sealing_key_is_a_valid_key() -> None:
    value = environment(compose_services()["identity"])["GUICHET_SEALING_KEY"]
    default = value.partition(":-")[2].rstrip("}") if value.startswith("${") else value
    try:
        TypeAdapter(SealingKey).validate_python(default)
    except ValidationError as error:
        pytest.fail(f"compose's development sealing key is not usable: {error}")


@pytest.mark.parametrize("name", DEPLOYED)
def test_compose_tells_every_other_service_where_identity_is(name: str) -> None:
    env = environment(compose_services()[name])
    if name == "identity":
        assert "GUICHET_IDENTITY_URL" not in env
    else:
        assert env.get("GUICHET_IDENTITY_URL") == "http://identity:8000"


def test_compose_publishes_only_the_gateway_and_the_mail_inbox() -> None:
    published = {
        name: service["ports"]
        for name, service in compose_services().items()
        if service.get("ports")
    }
    assert set(published) == {"gateway", "mail"}
    assert [str(port) for port in published["gateway"]] == ["8100:8000"]
    for name, service in compose_services().items():
        assert not service.get("expose") or name == "gateway", f"{name} is exposed"


def test_compose_gateway_routes_to_every_other_service() -> None:
    upstreams = json.loads(environment(compose_services()["gateway"])["GUICHET_UPSTREAMS"])
    others = [name for name in DEPLOYED if name != "gateway"]
    assert upstreams == {name: f"http://{name}:8000" for name in others}


def test_compose_has_a_one_off_create_admin() -> None:
    service = compose_services()["create-admin"]
    assert service.get("profiles"), "create-admin must not start with `docker compose up`"
    assert service["command"][-1] == "create-admin"
    assert service["restart"] == "no"
    env = environment(service)
    assert {"GUICHET_ADMIN_EMAIL", "GUICHET_ADMIN_PASSWORD", "GUICHET_DATABASE_URL"} <= set(env)


# --- the Helm chart: values ----------------------------------------------------------------


def chart_values() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))


def test_helm_values_have_the_gateway() -> None:
    assert chart_values()["services"]["gateway"]["enabled"]
    assert (CHART / "templates" / "gateway.yaml").is_file()


def test_helm_values_give_the_sealing_key_to_identity_and_notifications_only() -> None:
    services = chart_values()["services"]
    assert {name for name, values in services.items() if values.get("sealingKey")} == SEALED


def test_helm_values_never_hold_a_sealing_key() -> None:
    assert not chart_values()["sealingKey"]["value"], "a sealing key must not be in values.yaml"


# --- the Helm chart, rendered ----------------------------------------------------------------


def _render_with_helm_command(values: dict[str, Any], tmp_path: Path) -> str:
    values_file = tmp_path / "values.json"
    values_file.write_text(json.dumps(values), encoding="utf-8")
    completed = subprocess.run(
        ["helm", "template", RELEASE, str(CHART), "--namespace", "ns", "-f", str(values_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RenderError(completed.stderr)
    return completed.stdout


def _render_with_sdk(values: dict[str, Any]) -> str:
    with helm_python.Chart.load(str(CHART)) as chart:
        try:
            manifests = chart.render(values, name=RELEASE, namespace="ns")
        except Exception as error:  # the SDK's errors carry Helm's message
            raise RenderError(str(error)) from error
    return "\n---\n".join(text for path, text in manifests.items() if not path.endswith(".txt"))


class RenderError(Exception):
    pass


@pytest.fixture
def render(tmp_path: Path) -> Any:
    if shutil.which("helm"):
        return lambda values: _parse(_render_with_helm_command(values, tmp_path))
    # helm-python-sdk is a dev dependency: missing, the environment is broken, not the chart.
    assert helm_python is not None, "helm-python-sdk is not installed (uv sync)"
    return lambda values: _parse(_render_with_sdk(values))


def _parse(text: str) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(text) if document]


KEY = new_sealing_key()
VALUES: dict[str, Any] = {"sealingKey": {"value": KEY}, "createAdmin": {"enabled": True}}


def component(name: str) -> str:
    return f"{RELEASE}-guichet-{name}"


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


def of_kind(documents: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [document for document in documents if document["kind"] == kind]


def test_helm_sealing_key_reaches_identity_and_notifications_only(render: Any) -> None:
    documents = render(VALUES)
    env = workloads(documents)
    holders = {name for name, variables in env.items() if "GUICHET_SEALING_KEY" in variables}
    assert holders == {
        component("identity"),
        component("notifications"),
        component("identity-migrate"),
        component("notifications-migrate"),
        component("identity-create-admin"),
    }
    for name in holders:
        reference = env[name]["GUICHET_SEALING_KEY"]["valueFrom"]["secretKeyRef"]
        assert reference == {"name": component("sealing-key"), "key": "key"}, name
    secrets = {secret["metadata"]["name"]: secret for secret in of_kind(documents, "Secret")}
    assert set(secrets) == {component("sealing-key"), component("web-session-key")}
    secret = secrets[component("sealing-key")]
    # Made before the migration Jobs, which read it.
    assert "pre-install" in secret["metadata"]["annotations"]["helm.sh/hook"]


def test_helm_sealing_key_from_an_existing_secret(render: Any) -> None:
    documents = render({"sealingKey": {"existingSecret": "mine", "secretKey": "k"}})
    names = {secret["metadata"]["name"] for secret in of_kind(documents, "Secret")}
    assert component("sealing-key") not in names
    reference = workloads(documents)[component("identity")]["GUICHET_SEALING_KEY"]
    assert reference["valueFrom"]["secretKeyRef"] == {"name": "mine", "key": "k"}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "sealingKey.value (or sealingKey.existingSecret) is required"),
        ({"sealingKey": {"value": "too-short"}}, "must be 32 bytes in base64url"),
    ],
)
def test_helm_refuses_a_missing_or_bad_sealing_key(
    render: Any, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(RenderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        render(values)


def test_helm_identity_url_reaches_every_other_service(render: Any) -> None:
    env = workloads(render(VALUES))
    identity_url = f"http://{component('identity')}:8000"
    for name in DEPLOYED:
        for workload in (component(name), component(f"{name}-migrate")):
            variables = env[workload]
            if name == "identity":
                assert "GUICHET_IDENTITY_URL" not in variables, workload
            else:
                assert variables.get("GUICHET_IDENTITY_URL", {}).get("value") == identity_url, (
                    workload
                )


def test_helm_gateway_routes_to_every_other_service(render: Any) -> None:
    env = workloads(render(VALUES))[component("gateway")]
    upstreams = json.loads(env["GUICHET_UPSTREAMS"]["value"])
    assert upstreams == {
        name: f"http://{component(name)}:8000" for name in DEPLOYED if name != "gateway"
    }


def test_helm_ingress_sends_the_api_to_the_gateway_and_every_other_path_to_web(
    render: Any,
) -> None:
    documents = render(VALUES)
    (ingress,) = of_kind(documents, "Ingress")
    backends: dict[str, str] = {}
    for rule in ingress["spec"]["rules"]:
        assert rule["host"] == "portal.example.com"
        for path in rule["http"]["paths"]:
            backends[path["path"]] = path["backend"]["service"]["name"]
    assert backends == {
        **dict.fromkeys(PUBLIC_PATHS, component("gateway")),
        "/": component("web"),
    }
    assert "defaultBackend" not in ingress["spec"]
    for service in of_kind(documents, "Service"):
        assert service["spec"]["type"] == "ClusterIP", service["metadata"]["name"]


def test_helm_web_has_its_own_session_key_and_calls_the_gateway(render: Any) -> None:
    env = workloads(render(VALUES))
    holders = {name for name, variables in env.items() if "GUICHET_SESSION_KEY" in variables}
    assert holders == {component("web"), component("web-migrate")}
    for name in holders:
        reference = env[name]["GUICHET_SESSION_KEY"]["valueFrom"]["secretKeyRef"]
        assert reference == {"name": component("web-session-key"), "key": "key"}
        assert "GUICHET_SEALING_KEY" not in env[name]
        gateway = env[name]["GUICHET_GATEWAY_URL"]["value"]
        assert gateway == f"http://{component('gateway')}:8000"


def test_helm_network_policies_let_only_the_gateway_reach_the_services(render: Any) -> None:
    documents = render(VALUES)
    policies = {
        policy["metadata"]["name"]: policy["spec"] for policy in of_kind(documents, "NetworkPolicy")
    }
    assert set(policies) == {component(name) for name in DEPLOYED}
    for name in DEPLOYED:
        spec = policies[component(name)]
        assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == name
        assert "Ingress" in spec["policyTypes"]
        if name in {"gateway", "web"}:  # the public entries, behind the Ingress
            continue
        for rule in spec["ingress"]:
            assert rule.get("from"), f"{name} takes traffic from anywhere"
            for peer in rule["from"]:
                selector = peer["podSelector"]
                assert selector["matchLabels"]["app.kubernetes.io/instance"] == RELEASE
                components = selector["matchLabels"].get("app.kubernetes.io/component")
                if name == "identity":
                    # The other services fetch identity's JWKS.
                    (expression,) = selector["matchExpressions"]
                    assert set(expression["values"]) == set(DEPLOYED) - {"identity"}
                else:
                    assert components == "gateway", f"{name} takes traffic from {components}"


def test_helm_restricted_egress_lets_services_reach_identity(render: Any) -> None:
    smtp = [{"to": [{"ipBlock": {"cidr": "192.0.2.10/32"}}], "ports": [{"port": 587}]}]
    values = {**VALUES, "networkPolicy": {"restrictEgress": True, "smtpEgressTo": smtp}}
    policies = {
        policy["metadata"]["name"]: policy["spec"]
        for policy in of_kind(render(values), "NetworkPolicy")
    }
    for name in DEPLOYED:
        spec = policies[component(name)]
        assert "Egress" in spec["policyTypes"]
        peers = [peer for rule in spec["egress"] for peer in rule.get("to", [])]
        if name not in {"identity", "gateway"}:
            assert any(
                peer.get("podSelector", {})
                .get("matchLabels", {})
                .get("app.kubernetes.io/component")
                == "identity"
                for peer in peers
            ), f"{name} cannot reach identity's JWKS"
        assert (smtp[0] in spec["egress"]) == (name == "notifications"), name


def test_helm_create_admin_job_is_optional_and_runs_after_install(render: Any) -> None:
    assert component("identity-create-admin") not in workloads(
        render({"sealingKey": {"value": KEY}})
    )
    (job,) = [
        job
        for job in of_kind(render(VALUES), "Job")
        if job["metadata"]["name"] == component("identity-create-admin")
    ]
    assert "post-install" in job["metadata"]["annotations"]["helm.sh/hook"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", "services.identity", "create-admin"]
    env = {item["name"]: item for item in container["env"]}
    for variable in ("GUICHET_ADMIN_EMAIL", "GUICHET_ADMIN_PASSWORD"):
        assert env[variable]["valueFrom"]["secretKeyRef"]["name"] == "guichet-admin"


def test_helm_identity_optional_settings(render: Any) -> None:
    values = {
        **VALUES,
        "services": {
            "identity": {
                "passwordPolicy": {"min_length": 14},
                "logo": {"existingConfigMap": "branding", "key": "logo.svg"},
                "env": {"GUICHET_VENDOR_NAME": "Acme"},
            }
        },
    }
    documents = render(values)
    env = workloads(documents)[component("identity")]
    assert json.loads(env["GUICHET_PASSWORD_POLICY"]["value"]) == {"min_length": 14}
    assert env["GUICHET_VENDOR_NAME"]["value"] == "Acme"
    assert env["GUICHET_VENDOR_LOGO_PATH"]["value"] == "/etc/guichet/branding/logo.svg"
    # The settings are validated by every command, so the migration Job mounts the logo too.
    for name in (component("identity"), component("identity-migrate")):
        (workload,) = [
            d
            for d in documents
            if d["metadata"]["name"] == name and d["kind"] in {"Deployment", "Job"}
        ]
        mounts = workload["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
        assert {
            "name": "branding",
            "mountPath": "/etc/guichet/branding",
            "readOnly": True,
        } in mounts
