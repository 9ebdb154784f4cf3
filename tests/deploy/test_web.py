"""Deploying the web portal: its own session key (never the sealing key, made once by the
chart and kept, or a Secret of yours), the gateway it calls, its cookies, and the gateway
believing the addresses it passes on, in the chart and in docker-compose.yml."""

from __future__ import annotations

import base64
import ipaddress
import json
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter

from shared.sealing import SealingKey, new_sealing_key
from tests.deploy.support import (
    CHART,
    COMPOSE,
    KEY,
    RenderError,
    by_name,
    component,
    compose_services,
    environment,
    render,
    workloads,
)

VALUES: dict[str, Any] = {"sealingKey": {"value": KEY}}
WEB = (component("web"), component("web-migrate"))


def session_key_secret(documents: list[dict[str, Any]]) -> str:
    """The key the chart keeps for web, as the portal will read it."""
    secret = by_name(documents, "Secret")[component("web-session-key")]
    return base64.b64decode(secret["data"]["key"]).decode()


def web_values(**session_key: str) -> dict[str, Any]:
    return {**VALUES, "services": {"web": {"sessionKey": session_key}}}


# --- the Helm chart ----------------------------------------------------------------------


def test_helm_web_reads_its_own_session_key_and_never_the_sealing_key() -> None:
    documents = render(VALUES)
    env = workloads(documents)
    holders = {name for name, variables in env.items() if "GUICHET_SESSION_KEY" in variables}
    # The migration Job validates web's settings too.
    assert holders == set(WEB)
    for name in WEB:
        assert "GUICHET_SEALING_KEY" not in env[name], name
        reference = env[name]["GUICHET_SESSION_KEY"]["valueFrom"]["secretKeyRef"]
        assert reference == {"name": component("web-session-key"), "key": "key"}, name
    key = session_key_secret(documents)
    TypeAdapter(SealingKey).validate_python(key)
    assert key.rstrip("=") != KEY.rstrip("=")


def test_helm_makes_a_new_random_session_key_rather_than_a_fixed_one() -> None:
    keys = {session_key_secret(render(VALUES)) for _ in range(3)}
    assert len(keys) == 3


def test_helm_keeps_the_made_session_key_across_upgrades() -> None:
    """Rendered again at every upgrade, the Secret takes the key it already holds in the
    cluster (Helm's lookup; without a cluster, as here, lookup finds nothing), and stays in
    the cluster after install, made before the migration Jobs that read it."""
    documents = render(VALUES)
    annotations = by_name(documents, "Secret")[component("web-session-key")]["metadata"][
        "annotations"
    ]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"
    migration = by_name(documents, "Job")[component("web-migrate")]["metadata"]["annotations"]
    assert int(annotations["helm.sh/hook-weight"]) < int(migration["helm.sh/hook-weight"])
    template = (CHART / "templates" / "web-session-key-secret.yaml").read_text(encoding="utf-8")
    assert '$name := include "guichet.sessionKeySecretName" .' in template
    assert 'lookup "v1" "Secret" .Release.Namespace $name' in template


def test_helm_session_key_from_an_existing_secret() -> None:
    documents = render(web_values(existingSecret="web-sessions", secretKey="k"))
    assert component("web-session-key") not in by_name(documents, "Secret")
    for name in WEB:
        reference = workloads(documents)[name]["GUICHET_SESSION_KEY"]["valueFrom"]
        assert reference["secretKeyRef"] == {"name": "web-sessions", "key": "k"}


def test_helm_session_key_given_as_a_value() -> None:
    key = new_sealing_key()
    assert session_key_secret(render(web_values(value=key))) == key


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (web_values(existingSecret=component("sealing-key")), "names the sealing key's Secret"),
        (
            {
                "sealingKey": {"existingSecret": "shared-key"},
                "services": {"web": {"sessionKey": {"existingSecret": "shared-key"}}},
            },
            "names the sealing key's Secret",
        ),
        (web_values(value=KEY), "is the sealing key"),
        (web_values(value="too-short"), "must be 32 bytes in base64url"),
    ],
    ids=["chart-sealing-secret", "existing-sealing-secret", "sealing-value", "bad-value"],
)
def test_helm_refuses_the_sealing_key_or_a_bad_key_for_sessions(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(RenderError, match=message):
        render(values)


def test_helm_web_calls_the_gateways_service() -> None:
    env = workloads(render(VALUES))
    for name in WEB:
        assert env[name]["GUICHET_GATEWAY_URL"]["value"] == f"http://{component('gateway')}:8000"
    with pytest.raises(RenderError, match=r"services\.web needs services\.gateway"):
        render({**VALUES, "services": {"gateway": {"enabled": False}}})


@pytest.mark.parametrize(
    ("public_url", "env", "secure"),
    [
        ("https://portal.example.com/", {}, "true"),
        ("http://portal.example.com/", {}, "false"),
        ("http://portal.example.com/", {"GUICHET_SECURE_COOKIES": "true"}, "true"),
    ],
)
def test_helm_secure_cookies_follow_the_public_url(
    public_url: str, env: dict[str, str], secure: str
) -> None:
    values = {**VALUES, "publicUrl": public_url, "services": {"web": {"env": env}}}
    (deployment,) = [
        document
        for document in render(values)
        if document["kind"] == "Deployment" and document["metadata"]["name"] == component("web")
    ]
    variables = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [item["value"] for item in variables if item["name"] == "GUICHET_SECURE_COOKIES"] == [
        secure
    ]


def test_helm_gateway_believes_the_proxies_it_is_given_and_routes_pages_to_web() -> None:
    pods = ["10.244.0.0/16", "fd00:10:244::/56"]
    values = {**VALUES, "services": {"gateway": {"trustedProxies": pods}}}
    env = workloads(render(values))[component("gateway")]
    assert json.loads(env["GUICHET_TRUSTED_PROXIES"]["value"]) == pods
    upstreams = json.loads(env["GUICHET_UPSTREAMS"]["value"])
    assert upstreams["web"] == f"http://{component('web')}:8000"
    # None given: nothing is believed (the variable is left out, the gateway's default).
    assert "GUICHET_TRUSTED_PROXIES" not in workloads(render(VALUES))[component("gateway")]


# --- docker-compose.yml ------------------------------------------------------------------


def test_compose_web_has_its_own_session_key_and_calls_the_gateway() -> None:
    services = compose_services()
    env = environment(services["web"])
    assert "GUICHET_SEALING_KEY" not in env
    assert env["GUICHET_GATEWAY_URL"] == "http://gateway:8000"
    session_key = env["GUICHET_SESSION_KEY"].partition(":-")[2].rstrip("}")
    TypeAdapter(SealingKey).validate_python(session_key)
    sealing_key = environment(services["identity"])["GUICHET_SEALING_KEY"]
    assert session_key != sealing_key.partition(":-")[2].rstrip("}")


def test_compose_gateway_believes_web_alone_at_its_fixed_address() -> None:
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = document["services"]
    web_address = ipaddress.ip_address(services["web"]["networks"]["default"]["ipv4_address"])
    (subnet,) = document["networks"]["default"]["ipam"]["config"]
    assert web_address in ipaddress.ip_network(subnet["subnet"])
    gateway = environment(services["gateway"])
    trusted = [ipaddress.ip_network(net) for net in json.loads(gateway["GUICHET_TRUSTED_PROXIES"])]
    assert [net for net in trusted if web_address in net] == trusted, "only web is believed"
    assert json.loads(gateway["GUICHET_UPSTREAMS"])["web"] == "http://web:8000"
