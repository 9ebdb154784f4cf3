"""Real upstreams for the gateway: the tickets service, and an echo server standing in for
identity (which is not part of these tests) that answers with what it received."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.tickets.app import create_app as create_tickets
from services.tickets.settings import TicketsSettings
from tests.support import serving

IDENTITY_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "identity", "version": "1"},
    "paths": {
        "/auth/sign-in": {
            "post": {"summary": "Sign in", "responses": {"200": {"description": "ok"}}}
        },
        "/me": {
            "get": {
                "summary": "Who I am",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Me"}}
                        },
                    },
                    "404": {
                        "description": "no",
                        "content": {
                            "application/problem+json": {
                                "schema": {"$ref": "#/components/schemas/TicketView"}
                            }
                        },
                    },
                },
            }
        },
        "/internal/keys": {
            "get": {"summary": "Not public", "responses": {"200": {"description": "ok"}}}
        },
    },
    "components": {
        "schemas": {
            "Me": {"type": "object", "properties": {"user_id": {"type": "string"}}},
            # Same name as a tickets schema, different content: must be kept apart.
            "TicketView": {"type": "object", "properties": {"clash": {"type": "integer"}}},
        }
    },
}


def echo_app() -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response(
            {
                "method": request.method,
                "path": request.rel_url.raw_path,
                "query": request.rel_url.raw_query_string,
                "headers": dict(request.headers.items()),
                "body_length": len(body),
            }
        )

    async def document(_request: web.Request) -> web.Response:
        return web.json_response(IDENTITY_DOCUMENT)

    app = web.Application(client_max_size=1 << 26)
    app.router.add_get("/openapi.json", document)
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


@pytest.fixture
async def echo_url() -> AsyncIterator[str]:
    async with serving(echo_app()) as url:
        yield url


@pytest.fixture
async def tickets_url(
    service_env: Callable[..., dict[str, Any]], tmp_path: Path
) -> AsyncIterator[str]:
    settings = TicketsSettings(**service_env(attachments_dir=tmp_path / "attachments"))
    async with serving(create_tickets(settings)) as url:
        yield url


@pytest.fixture
def gateway_settings(
    service_env: Callable[..., dict[str, Any]], echo_url: str, tickets_url: str
) -> Callable[..., GatewaySettings]:
    def build(**overrides: Any) -> GatewaySettings:
        overrides.setdefault("upstreams", {"identity": echo_url, "tickets": tickets_url})
        return GatewaySettings(**service_env(**overrides))

    return build


@pytest.fixture
def running_gateway(
    gateway_settings: Callable[..., GatewaySettings],
) -> Callable[..., contextlib.AbstractAsyncContextManager[str]]:
    """`async with running_gateway(**settings) as url`: a gateway on a real port."""

    @contextlib.asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[str]:
        async with serving(create_app(gateway_settings(**overrides))) as url:
            yield url

    return run


@pytest.fixture
async def gateway_url(
    running_gateway: Callable[..., contextlib.AbstractAsyncContextManager[str]],
) -> AsyncIterator[str]:
    async with running_gateway() as url:
        yield url
