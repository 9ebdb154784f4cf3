"""Dashboards and alert rules that work: they parse (Grafana's JSON, Prometheus' rule format,
PromQL), cover what operators must watch, and every metric they name is in a running
service's /metrics. docker-compose's Prometheus scrapes every service and loads the same
rules; its Grafana provisions the same dashboards."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import aiohttp
import promql_parser
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from devstack import broker, postgres
from devstack.services import SERVICES
from devstack.services import start as start_service
from devstack.supervisor import Supervisor
from shared.sealing import new_sealing_key
from tests.deploy.support import (
    ALERTS,
    DASHBOARDS,
    KEY,
    PROMETHEUS_CONFIG,
    ROOT,
    SERVICE_NAMES,
    compose_services,
    environment,
)
from tests.support import free_port

# Series Prometheus makes itself, not read from /metrics.
PROMETHEUS_OWN = {"up"}
# Grafana's variables, replaced by what Grafana would put there before PromQL is parsed.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$service": "gateway"}


# --- the services' metrics, as they expose them --------------------------------------------


@pytest.fixture(scope="module")
async def exposed_metrics(
    infrastructure: Any, tmp_path_factory: pytest.TempPathFactory
) -> set[str]:
    """Every series name some running service exposes on /metrics (a labelled metric nobody
    has observed yet is listed too: its HELP and TYPE lines are there)."""
    database = f"metrics_{uuid.uuid4().hex[:12]}"
    await postgres.ensure_database(infrastructure.database_url("postgres"), database)
    port_of = {service.name: free_port() for service in SERVICES}
    env = {
        "GUICHET_DATABASE_URL": infrastructure.database_url(database),
        "GUICHET_KAFKA_BOOTSTRAP": infrastructure.kafka_bootstrap,
        "GUICHET_KAFKA_NAMESPACE": f"m{uuid.uuid4().hex[:12]}",
        "GUICHET_KAFKA_SESSION_TIMEOUT_MS": broker.SESSION_TIMEOUT_MS,
        "GUICHET_PUBLIC_URL": "http://portal.test/",
        "GUICHET_SEALING_KEY": KEY,
        "GUICHET_SMTP_URL": infrastructure.smtp_url,
        "GUICHET_IDENTITY_URL": f"http://127.0.0.1:{port_of['identity']}",
        # The web portal's: where the API is, and its own session key.
        "GUICHET_GATEWAY_URL": f"http://127.0.0.1:{port_of['gateway']}",
        "GUICHET_SESSION_KEY": new_sealing_key(),
        "GUICHET_UPSTREAMS": json.dumps(
            {
                name: f"http://127.0.0.1:{port}"
                for name, port in port_of.items()
                if name != "gateway"
            }
        ),
        "GUICHET_LOG_FORMAT": "json",
    }
    supervisor = Supervisor(log_dir=tmp_path_factory.mktemp("metrics-logs"), echo=False)
    try:
        await asyncio.gather(
            *(
                start_service(supervisor, service, port_of[service.name], env)
                for service in SERVICES
            )
        )
        names: set[str] = set()
        async with aiohttp.ClientSession() as session:
            for port in port_of.values():
                async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                    assert response.status == 200
                    names |= series_names(await response.text())
        return names
    finally:
        await supervisor.stop_all()


def series_names(exposition: str) -> set[str]:
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        if family.type == "counter":
            names.add(f"{family.name}_total")
        elif family.type == "histogram":
            names.update(f"{family.name}{suffix}" for suffix in ("_bucket", "_sum", "_count"))
    return names


def metric_names(expression: str) -> set[str]:
    names: set[str] = set()

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expression), visit)
    return names


# --- dashboards -----------------------------------------------------------------------------


def dashboards() -> dict[str, dict[str, Any]]:
    files = sorted(DASHBOARDS.glob("*.json"))
    assert files, "no dashboards"
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in files}


def panel_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL with Grafana's variables filled in) of every query."""
    queries = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expression = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expression = expression.replace(variable, value)
            assert "$" not in expression, f"{panel['title']}: unknown variable in {expression}"
            queries.append((panel["title"], expression))
    return queries


def test_dashboards_are_grafana_dashboards_with_their_own_uid() -> None:
    uids = set()
    for name, dashboard in dashboards().items():
        assert dashboard["uid"] not in uids, f"{name}: uid {dashboard['uid']} is taken"
        uids.add(dashboard["uid"])
        assert dashboard["title"].startswith("Guichet"), name
        variables = {variable["name"] for variable in dashboard["templating"]["list"]}
        assert "datasource" in variables, f"{name} must not hard-code a data source"
        panel_ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(panel_ids) == len(set(panel_ids)), f"{name}: panel ids repeat"
        for panel in dashboard["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["targets"], f"{name}: {panel['title']} shows nothing"
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_every_dashboard_query_is_promql() -> None:
    for name, dashboard in dashboards().items():
        for title, expression in panel_queries(dashboard):
            try:
                promql_parser.parse(expression)
            except ValueError as error:
                pytest.fail(f"{name}, {title}: {error}: {expression}")


def test_dashboards_cover_golden_signals_events_email_and_sign_in() -> None:
    shown = {
        metric
        for dashboard in dashboards().values()
        for _, expression in panel_queries(dashboard)
        for metric in metric_names(expression)
    }
    assert {
        "guichet_http_requests_total",  # traffic and errors per service
        "guichet_http_request_duration_seconds_bucket",  # latency
        "process_cpu_seconds_total",  # saturation
        "guichet_outbox_backlog",
        "guichet_consumer_lag",
        "guichet_dead_letters_total",
        "guichet_emails_sent_total",
        "guichet_emails_failed_total",
        "guichet_sign_ins_total",
    } <= shown


async def test_every_metric_a_dashboard_shows_is_exposed(exposed_metrics: set[str]) -> None:
    for name, dashboard in dashboards().items():
        for title, expression in panel_queries(dashboard):
            missing = metric_names(expression) - exposed_metrics - PROMETHEUS_OWN
            assert not missing, f"{name}, {title}: no service exposes {sorted(missing)}"


# --- alert rules ----------------------------------------------------------------------------


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    assert set(document) == {"groups"}
    rules = []
    for group in document["groups"]:
        assert set(group) == {"name", "rules"}, group.get("name")
        rules.extend(group["rules"])
    return rules


DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")


def test_alert_rules_are_prometheus_rules() -> None:
    names = set()
    for rule in alert_rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["alert"] not in names, f"{rule['alert']} twice"
        names.add(rule["alert"])
        try:
            promql_parser.parse(rule["expr"])
        except ValueError as error:
            pytest.fail(f"{rule['alert']}: {error}")
        if "for" in rule:
            assert DURATION.match(rule["for"]), f"{rule['alert']}: for {rule['for']!r}"
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["annotations"]["description"], rule["alert"]


def test_alert_rules_cover_what_the_operators_must_hear_about() -> None:
    watched = {metric for rule in alert_rules() for metric in metric_names(rule["expr"])}
    assert {
        "guichet_http_requests_total",  # error rate
        "guichet_http_request_duration_seconds_bucket",  # latency
        "guichet_consumer_lag",
        "guichet_outbox_backlog",
        "guichet_dead_letters_total",
        "guichet_signing_key_age_seconds",
    } <= watched


async def test_every_metric_an_alert_watches_is_exposed(exposed_metrics: set[str]) -> None:
    for rule in alert_rules():
        missing = metric_names(rule["expr"]) - exposed_metrics - PROMETHEUS_OWN
        assert not missing, f"{rule['alert']}: no service exposes {sorted(missing)}"


def test_the_metrics_test_can_fail() -> None:
    assert metric_names('sum(rate(guichet_made_up_total{a="b"}[5m])) > up') == {
        "guichet_made_up_total",
        "up",
    }


# --- docker-compose's Prometheus and Grafana ------------------------------------------------


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """A compose service's bind mounts: path in the container → path in the repository."""
    found = {}
    for volume in service.get("volumes", []):
        source, _, rest = volume.partition(":")
        if source.startswith("./"):
            found[rest.partition(":")[0]] = source[2:]
    return found


def test_compose_prometheus_scrapes_every_service_and_loads_the_rules() -> None:
    services = compose_services()
    prometheus = services["prometheus"]
    files = mounts(prometheus)
    config_path = next(path for path, source in files.items() if source.endswith("prometheus.yml"))
    assert ROOT / files[config_path] == PROMETHEUS_CONFIG
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
    targets = {
        static["labels"]["service"]: static["targets"]
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        if "service" in static.get("labels", {})
    }
    assert targets == {name: [f"{name}:8000"] for name in SERVICE_NAMES}
    (rule_file,) = config["rule_files"]
    assert ROOT / files[rule_file] == ALERTS


def test_compose_grafana_provisions_the_dashboards_and_prometheus() -> None:
    grafana = compose_services()["grafana"]
    files = mounts(grafana)
    provisioning = ROOT / files["/etc/grafana/provisioning"]
    (provider,) = yaml.safe_load(
        (provisioning / "dashboards" / "guichet.yaml").read_text(encoding="utf-8")
    )["providers"]
    assert ROOT / files[provider["options"]["path"]] == DASHBOARDS
    sources = yaml.safe_load(
        (provisioning / "datasources" / "guichet.yaml").read_text(encoding="utf-8")
    )["datasources"]
    prometheus = next(source for source in sources if source["type"] == "prometheus")
    assert prometheus["url"] == "http://prometheus:9090"
    assert grafana["depends_on"]["prometheus"]["condition"] == "service_healthy"


def test_compose_services_send_traces_to_the_collector_and_on_to_jaeger() -> None:
    services = compose_services()
    for name in SERVICE_NAMES:
        assert environment(services[name])["GUICHET_OTLP_ENDPOINT"] == "http://otel-collector:4318"
    collector = services["otel-collector"]
    config = yaml.safe_load(
        (ROOT / mounts(collector)["/etc/otelcol/config.yaml"]).read_text(encoding="utf-8")
    )
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    (exporter,) = config["service"]["pipelines"]["traces"]["exporters"]
    assert config["exporters"][exporter]["endpoint"] == "jaeger:4317"
    assert "jaeger" in services


def test_compose_mounts_only_files_of_the_repository() -> None:
    for name, service in compose_services().items():
        for source in mounts(service).values():
            assert (ROOT / source).exists(), f"{name} mounts ./{source}, which does not exist"
