"""Errors reach clients as problem+json and never leak internals; health tells the truth."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from prometheus_client import REGISTRY
from pydantic import BaseModel, Field

from conftest import Infrastructure
from shared.http.app import create_service_app
from shared.http.middleware import observe, problems
from shared.http.problems import Problem, read_json, read_query
from shared.settings import ServiceSettings
from shared.tests.sample import registry
from tests.support import eventually, free_port, serving


class Greeting(BaseModel):
    name: str = Field(min_length=2)
    times: int = Field(ge=1)


def sample_app() -> web.Application:
    app = web.Application(middlewares=[observe, problems])

    async def crash(_request: web.Request) -> web.Response:
        raise RuntimeError("password=hunter2 in SELECT * FROM secrets")

    async def refuse(_request: web.Request) -> web.Response:
        raise Problem(403, "Forbidden", "Not yours.", type_="https://guichet.dev/problems/x")

    async def greet(request: web.Request) -> web.Response:
        body = await read_json(request, Greeting)
        return web.json_response({"hello": body.name})

    app.router.add_get("/crash", crash)
    app.router.add_get("/refuse", refuse)
    app.router.add_post("/greet", greet)
    return app


async def test_a_bug_is_a_bare_500_problem_without_internals() -> None:
    async with (
        serving(sample_app()) as url,
        aiohttp.ClientSession() as session,
        session.get(f"{url}/crash", headers={"X-Request-Id": "req-123"}) as response,
    ):
        body = await response.text()
        assert response.status == 500
        assert response.content_type == "application/problem+json"
        assert response.headers["X-Request-Id"] == "req-123"
    assert "hunter2" not in body
    assert "SELECT" not in body
    assert "Traceback" not in body
    assert '"request_id": "req-123"' in body


async def test_problems_and_validation_errors_name_what_is_wrong() -> None:
    async with serving(sample_app()) as url, aiohttp.ClientSession() as session:
        async with session.get(f"{url}/refuse") as response:
            assert response.status == 403
            problem = await response.json(content_type="application/problem+json")
            assert problem == {
                "type": "https://guichet.dev/problems/x",
                "title": "Forbidden",
                "status": 403,
                "detail": "Not yours.",
                "instance": "/refuse",
            }
        async with session.post(f"{url}/greet", json={"name": "A", "times": 0}) as response:
            assert response.status == 422
            problem = await response.json(content_type="application/problem+json")
            assert {e["field"] for e in problem["errors"]} == {"name", "times"}
        async with session.post(f"{url}/greet", data=b"{not json", headers=_json()) as response:
            assert response.status == 400
        async with session.post(f"{url}/greet", data=b"name=x") as response:
            assert response.status == 415
        async with session.get(f"{url}/nowhere") as response:
            assert response.status == 404
            assert response.content_type == "application/problem+json"
        async with session.delete(f"{url}/greet") as response:
            assert response.status == 405
            assert response.content_type == "application/problem+json"


async def test_a_nul_character_in_the_body_is_refused_by_field_not_a_500() -> None:
    """PostgreSQL text cannot hold NUL: a request carrying one would fail on its way to the
    database, so it is refused first, naming the field."""
    async with serving(sample_app()) as url, aiohttp.ClientSession() as session:
        async with session.post(f"{url}/greet", json={"name": "Al\x00ice", "times": 1}) as response:
            assert response.status == 422
            problem = await response.json(content_type="application/problem+json")
            assert problem["errors"] == [
                {"field": "name", "message": "must not contain a NUL character", "code": "nul"}
            ]
        # A backslash followed by "u0000" is only text, and welcome.
        async with session.post(
            f"{url}/greet", data=b'{"name": "Al\\\\u0000ice", "times": 1}', headers=_json()
        ) as response:
            assert response.status == 200
            assert await response.json() == {"hello": "Al\\u0000ice"}


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


async def test_readiness_follows_the_database_and_the_broker(
    infrastructure: Infrastructure, database_url: str, tmp_path
) -> None:
    def app_with(bootstrap: str) -> web.Application:
        settings = ServiceSettings(
            database_url=database_url,
            kafka_bootstrap=bootstrap,
            public_url="http://portal.test/",
            kafka_namespace=f"t{uuid.uuid4().hex[:8]}",
        )
        return create_service_app(
            settings, service="sample", migrations=tmp_path, registry=registry
        )

    async with aiohttp.ClientSession() as session:
        async with serving(app_with(infrastructure.kafka_bootstrap)) as url:
            async with session.get(f"{url}/healthz") as response:
                assert response.status == 200
            async with session.get(f"{url}/readyz") as response:
                assert response.status == 200
                assert (await response.json())["checks"] == {"database": "ok", "broker": "ok"}
            async with session.get(f"{url}/metrics") as response:
                metrics = await response.text()
                assert "guichet_http_requests_total" in metrics
                assert "guichet_outbox_backlog" in metrics
        async with serving(app_with(f"127.0.0.1:{free_port()}")) as url:
            async with session.get(f"{url}/healthz") as response:
                assert response.status == 200  # alive, just not ready
            async with session.get(f"{url}/readyz") as response:
                assert response.status == 503
                assert (await response.json())["checks"] == {"database": "ok", "broker": "down"}


class _ListQuery(BaseModel):
    status: list[str] | None = None
    limit: int = Field(default=10, le=50)


def test_a_query_string_reads_repeated_parameters_as_lists_and_refuses_bad_values() -> None:
    query = read_query(make_mocked_request("GET", "/x?status=a&status=b&limit=5"), _ListQuery)
    assert (query.status, query.limit) == (["a", "b"], 5)
    assert read_query(make_mocked_request("GET", "/x"), _ListQuery) == _ListQuery()
    with pytest.raises(Problem) as refused:
        read_query(make_mocked_request("GET", "/x?limit=500"), _ListQuery)
    assert refused.value.status == 422
    assert [e["field"] for e in refused.value.extensions["errors"]] == ["limit"]


def _answered(route: str, status: str) -> float:
    labels = {"method": "GET", "route": route, "status": status}
    return REGISTRY.get_sample_value("guichet_http_requests_total", labels) or 0.0


async def test_redirects_and_clients_going_away_are_not_counted_as_server_errors() -> None:
    """A service without the problems middleware (web) raises its redirects; a live stream
    ends when the browser closes it. Neither is a failure of the server."""
    app = web.Application(middlewares=[observe])
    streaming = asyncio.Event()

    async def moved(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/elsewhere")

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b"data: hello\n\n")
        streaming.set()
        await asyncio.sleep(60)
        return response

    app.router.add_get("/moved", moved)
    app.router.add_get("/stream", stream)
    async with serving(app) as url, aiohttp.ClientSession() as session:
        async with session.get(f"{url}/moved", allow_redirects=False) as response:
            assert response.status == 302
        async with session.get(f"{url}/stream") as response:
            await response.content.readline()
            await streaming.wait()

        async def stream_counted() -> bool:
            return _answered("/stream", "499") == 1.0

        await eventually(stream_counted)

    assert _answered("/moved", "302") == 1.0
    assert _answered("/moved", "500") == _answered("/stream", "500") == 0.0
