"""Deploying identity and the gateway: the sealing key reaches identity and notifications
only, every service that verifies access tokens knows where identity's keys are, and only the
gateway (the API) and web (the pages) are reachable from outside: compose publishes the
gateway alone, which routes the pages to web; the chart's Ingress and NetworkPolicies.

The Helm tests render the chart with Helm's own engine (helm-python-sdk, a dev dependency).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from devstack.services import SERVICES
from shared.sealing import SealingKey
from tests.deploy.support import (
    KEY,
    RELEASE,
    RenderError,
    by_name,
    chart_values,
    component,
    compose_services,
    environment,
    of_kind,
    render,
    workloads,
)

# The gateway is deployed whether or not devstack's list has it yet.
DEPLOYED = sorted({service.name for service in SERVICES} | {"gateway"})
SEALED = {"identity", "notifications"}
# The services that verify access tokens with identity's keys (JWKS). The web portal does
# not: it passes the user's token on to the gateway, which does.
VERIFIERS = [name for name in DEPLOYED if name not in {"identity", "web"}]
# The Ingress's routes: the API and its documents to the gateway, every other path to web.
INGRESS_ROUTES = {
    "/api": ("gateway", "Prefix"),
    "/openapi.json": ("gateway", "Exact"),
    "/docs": ("gateway", "Prefix"),
    "/.well-known": ("gateway", "Prefix"),
    "/": ("web", "Prefix"),
}


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
def test_compose_tells_every_verifying_service_where_identity_is(name: str) -> None:
    env = environment(compose_services()[name])
    if name in VERIFIERS:
        assert env.get("GUICHET_IDENTITY_URL") == "http://identity:8000"
    else:
        assert "GUICHET_IDENTITY_URL" not in env


def test_compose_publishes_only_the_gateway_and_the_mail_inbox() -> None:
    """Of the portal, only the gateway; the tools' pages on the loopback only."""
    services = compose_services()
    published = {
        name: [str(port) for port in service["ports"]]
        for name, service in services.items()
        if service.get("ports")
    }
    assert published.pop("gateway") == ["8100:8000"]
    assert published.pop("mail") == ["1080:1080"]
    for name, ports in published.items():
        assert name not in DEPLOYED, f"{name} is published"
        for port in ports:
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} to the network"
    for name, service in services.items():
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


def test_helm_values_have_the_gateway() -> None:
    assert chart_values()["services"]["gateway"]["enabled"]


def test_helm_values_give_the_sealing_key_to_identity_and_notifications_only() -> None:
    services = chart_values()["services"]
    assert {name for name, values in services.items() if values.get("sealingKey")} == SEALED


def test_helm_values_never_hold_a_sealing_key() -> None:
    assert not chart_values()["sealingKey"]["value"], "a sealing key must not be in values.yaml"


# --- the Helm chart, rendered ----------------------------------------------------------------


VALUES: dict[str, Any] = {"sealingKey": {"value": KEY}, "createAdmin": {"enabled": True}}


def test_helm_sealing_key_reaches_identity_and_notifications_only() -> None:
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
    secret = by_name(documents, "Secret")[component("sealing-key")]
    # Made before the migration Jobs, which read it.
    assert "pre-install" in secret["metadata"]["annotations"]["helm.sh/hook"]


def test_helm_sealing_key_from_an_existing_secret() -> None:
    documents = render({"sealingKey": {"existingSecret": "mine", "secretKey": "k"}})
    assert component("sealing-key") not in by_name(documents, "Secret")
    reference = workloads(documents)[component("identity")]["GUICHET_SEALING_KEY"]
    assert reference["valueFrom"]["secretKeyRef"] == {"name": "mine", "key": "k"}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "sealingKey.value (or sealingKey.existingSecret) is required"),
        ({"sealingKey": {"value": "too-short"}}, "must be 32 bytes in base64url"),
    ],
)
def test_helm_refuses_a_missing_or_bad_sealing_key(values: dict[str, Any], message: str) -> None:
    with pytest.raises(RenderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        render(values)


def test_helm_identity_url_reaches_every_verifying_service() -> None:
    env = workloads(render(VALUES))
    identity_url = f"http://{component('identity')}:8000"
    for name in DEPLOYED:
        for workload in (component(name), component(f"{name}-migrate")):
            variables = env[workload]
            if name in VERIFIERS:
                assert variables.get("GUICHET_IDENTITY_URL", {}).get("value") == identity_url, (
                    workload
                )
            else:
                assert "GUICHET_IDENTITY_URL" not in variables, workload


def test_helm_gateway_routes_to_every_other_service() -> None:
    env = workloads(render(VALUES))[component("gateway")]
    upstreams = json.loads(env["GUICHET_UPSTREAMS"]["value"])
    assert upstreams == {
        name: f"http://{component(name)}:8000" for name in DEPLOYED if name != "gateway"
    }


def test_helm_ingress_sends_the_api_to_the_gateway_and_every_other_path_to_web() -> None:
    documents = render(VALUES)
    (ingress,) = of_kind(documents, "Ingress")
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "portal.example.com"
    routes = {
        path["path"]: (path["backend"]["service"]["name"], path["pathType"])
        for path in rule["http"]["paths"]
    }
    assert len(routes) == len(rule["http"]["paths"]), "a path is routed twice"
    assert routes == {
        path: (component(service), path_type)
        for path, (service, path_type) in INGRESS_ROUTES.items()
    }
    for path in rule["http"]["paths"]:
        assert path["backend"]["service"]["port"] == {"name": "http"}
    assert "defaultBackend" not in ingress["spec"]
    for service in of_kind(documents, "Service"):
        assert service["spec"]["type"] == "ClusterIP", service["metadata"]["name"]


def callers_allowed(spec: dict[str, Any]) -> set[str]:
    """The Guichet services a NetworkPolicy lets in (its podSelector peers)."""
    allowed: set[str] = set()
    for rule in spec["ingress"]:
        for peer in rule.get("from", []):
            selector = peer.get("podSelector")
            if selector is None:
                continue
            assert selector["matchLabels"]["app.kubernetes.io/instance"] == RELEASE
            (expression,) = selector["matchExpressions"]
            assert expression["key"] == "app.kubernetes.io/component"
            allowed |= set(expression["values"])
    return allowed


def test_helm_network_policies_let_in_the_ingress_and_the_callers_only() -> None:
    documents = render(VALUES)
    policies = {
        policy["metadata"]["name"]: policy["spec"] for policy in of_kind(documents, "NetworkPolicy")
    }
    public = {service for service, _ in INGRESS_ROUTES.values()}
    assert set(policies) == {component(name) for name in DEPLOYED}
    for name in DEPLOYED:
        spec = policies[component(name)]
        assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == name
        assert "Ingress" in spec["policyTypes"]
        from_anywhere = [rule for rule in spec["ingress"] if not rule.get("from")]
        # networkPolicy.publicFrom is empty here: the public services take anyone's traffic.
        assert bool(from_anywhere) == (name in public), name
        if name == "gateway":
            # The web portal calls the API for the browser.
            assert callers_allowed(spec) == {"web"}
        elif name == "identity":
            # The verifying services fetch identity's JWKS; the gateway forwards to it.
            assert callers_allowed(spec) == set(VERIFIERS)
        else:
            # The gateway forwards to its upstreams (for web: the pages it is asked for).
            assert callers_allowed(spec) == {"gateway"}, name


def test_helm_public_services_take_only_the_ingress_controller_when_told() -> None:
    ingress_controller = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}
    }
    values = {**VALUES, "networkPolicy": {"publicFrom": [ingress_controller]}}
    for policy in of_kind(render(values), "NetworkPolicy"):
        name = policy["metadata"]["name"]
        for rule in policy["spec"]["ingress"]:
            assert rule.get("from"), f"{name} takes traffic from anywhere"
        public = any(ingress_controller in rule["from"] for rule in policy["spec"]["ingress"])
        assert public == (name in {component("gateway"), component("web")}), name


def test_helm_restricted_egress_lets_services_reach_identity() -> None:
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
        reachable = {
            component
            for peer in peers
            for expression in peer.get("podSelector", {}).get("matchExpressions", [])
            for component in expression["values"]
        }
        if name == "identity":
            assert not reachable, "identity calls no other service"
        elif name == "gateway":
            assert reachable == set(DEPLOYED) - {"gateway"}, "the gateway reaches its upstreams"
        elif name == "web":
            assert reachable == {"gateway"}, f"web reaches {reachable}, not just the API"
        else:
            assert reachable == {"identity"}, f"{name} reaches {reachable}, not just the JWKS"
        assert (smtp[0] in spec["egress"]) == (name == "notifications"), name


def test_helm_create_admin_job_is_optional_and_runs_after_install() -> None:
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


def test_helm_identity_optional_settings() -> None:
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
