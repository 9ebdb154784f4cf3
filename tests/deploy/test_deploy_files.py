"""The deployment files keep up with the services: every service in the repository is in
devstack's list, runs in docker-compose.yml, is built by the Dockerfile and is deployed by
the Helm chart."""

from __future__ import annotations

import tomllib

import pytest

from tests.deploy.support import (
    DOCKERFILE,
    PRODUCTION_VALUES,
    REQUIRED_VALUES,
    ROOT,
    SERVICE_NAMES,
    by_name,
    chart_values,
    component,
    compose_services,
    environment,
    render,
    setting_names,
)

INFRASTRUCTURE = ("postgres", "kafka")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments left out."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    starts = [index for index, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    assert starts, "the Dockerfile has no FROM"
    return instructions[starts[-1] :]


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_compose_runs_the_service_once_its_infrastructure_is_healthy(name: str) -> None:
    services = compose_services()
    assert name in services, f"docker-compose.yml has no service {name!r}"
    service = services[name]

    healthcheck = service.get("healthcheck") or {}
    assert healthcheck.get("test"), f"{name} has no healthcheck"
    assert not healthcheck.get("disable", False), f"{name}'s healthcheck is disabled"
    assert "/readyz" in str(healthcheck["test"]), f"{name}'s healthcheck must probe /readyz"

    depends_on = service.get("depends_on")
    assert isinstance(depends_on, dict), f"{name}: depends_on must give a condition"
    for dependency in INFRASTRUCTURE:
        assert dependency in depends_on, f"{name} does not depend on {dependency}"
        assert depends_on[dependency].get("condition") == "service_healthy", (
            f"{name} must wait for {dependency} to be healthy"
        )

    env = environment(service)
    for variable in ("GUICHET_DATABASE_URL", "GUICHET_KAFKA_BOOTSTRAP"):
        assert env.get(variable), f"{name} does not set {variable}"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_compose_builds_the_service_from_the_dockerfile(name: str) -> None:
    service = compose_services()[name]
    build = service.get("build")
    assert isinstance(build, dict), f"{name} is not built from the Dockerfile"
    assert (build.get("args") or {}).get("SERVICE") == name
    assert f"services.{name}" in str(service.get("command", f"services.{name}"))


@pytest.mark.parametrize("dependency", INFRASTRUCTURE)
def test_compose_infrastructure_reports_its_health(dependency: str) -> None:
    services = compose_services()
    assert dependency in services
    assert (services[dependency].get("healthcheck") or {}).get("test"), (
        f"{dependency} has no healthcheck, so service_healthy would never be met"
    )


def test_dockerfile_final_stage_runs_as_a_non_root_user() -> None:
    users = [arguments for keyword, arguments in final_stage() if keyword == "USER"]
    assert users, "the final stage has no USER: the image would run as root"
    user = users[-1].partition(":")[0].strip()
    assert user not in {"", "root", "0"}, f"the final stage runs as {users[-1]!r}"


def test_dockerfile_copies_every_package_of_the_wheel() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    copied = " ".join(
        arguments for keyword, arguments in dockerfile_instructions() if keyword == "COPY"
    )
    for package in packages:
        assert f" {package} " in f" {copied} ", f"the Dockerfile does not copy {package}/"


def test_every_service_of_the_repository_is_in_devstacks_list() -> None:
    in_repository = {path.parent.name for path in (ROOT / "services").glob("*/__main__.py")}
    assert in_repository == set(SERVICE_NAMES)


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_helm_chart_deploys_the_service(name: str) -> None:
    values = chart_values()["services"]
    assert name in values, f"the chart's values.yaml has no services.{name}"
    assert values[name]["enabled"], f"services.{name} is disabled by default"
    documents = render(REQUIRED_VALUES)
    for kind in ("Deployment", "Service", "ServiceAccount", "PodDisruptionBudget"):
        assert component(name) in by_name(documents, kind), f"no {kind} for {name}"
    container = by_name(documents, "Deployment")[component(name)]["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert container["command"] == ["python", "-m", f"services.{name}", "serve"]
    migration = by_name(documents, "Job")[component(f"{name}-migrate")]
    assert migration["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "python",
        "-m",
        f"services.{name}",
        "migrate",
    ]


# Images without a shell or client to probe themselves with; nothing waits for them healthy.
NO_HEALTHCHECK = {"otel-collector", "jaeger"}


def test_compose_every_dependency_has_a_condition_that_can_be_met() -> None:
    services = compose_services()
    for name, service in services.items():
        healthcheck = service.get("healthcheck") or {}
        if name not in NO_HEALTHCHECK and "profiles" not in service:
            assert healthcheck.get("test"), f"{name} has no healthcheck"
        depends_on = service.get("depends_on") or {}
        assert isinstance(depends_on, dict), f"{name}: depends_on must give conditions"
        for dependency, condition in depends_on.items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert condition["condition"] in {"service_healthy", "service_started"}, name
            if condition["condition"] == "service_healthy":
                assert (services[dependency].get("healthcheck") or {}).get("test"), (
                    f"{name} waits for {dependency} to be healthy, which it never reports"
                )


def test_dockerfile_base_image_is_pinned_to_an_exact_version() -> None:
    instructions = dockerfile_instructions()
    defaults = dict(
        arguments.partition("=")[::2] for keyword, arguments in instructions if keyword == "ARG"
    )
    bases = [arguments.split()[0] for keyword, arguments in instructions if keyword == "FROM"]
    assert bases
    for base in bases:
        image = defaults[base[2:-1]] if base.startswith("${") else base
        tag = image.partition("@")[0].partition(":")[2]
        # e.g. 3.11.14-slim-bookworm: major, minor and patch, never a moving tag.
        assert tag.split("-")[0].count(".") == 2, f"FROM {image} is not pinned to a release"
        assert "slim" in tag, f"FROM {image} is not a slim image"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_compose_sets_every_setting_the_service_needs_and_only_those_it_reads(name: str) -> None:
    every, required = setting_names(name)
    wired = {key for key in environment(compose_services()[name]) if key.startswith("GUICHET_")}
    assert required <= wired, f"compose's {name} misses {sorted(required - wired)}"
    assert wired <= every, f"compose sets what {name} never reads: {sorted(wired - every)}"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_chart_sets_every_setting_compose_does(name: str) -> None:
    """What a service is given under compose, the chart gives it too (with production-like
    values: traces exported, proxies believed), so neither deployment forgets a setting."""
    compose = {key for key in environment(compose_services()[name]) if key.startswith("GUICHET_")}
    documents = render(PRODUCTION_VALUES)
    container = by_name(documents, "Deployment")[component(name)]["spec"]["template"]["spec"][
        "containers"
    ][0]
    chart = {item["name"] for item in container["env"]}
    chart |= set(by_name(documents, "ConfigMap")[component("config")]["data"])
    assert compose <= chart, f"the chart does not set {sorted(compose - chart)} for {name}"
