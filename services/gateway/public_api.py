"""The public API's OpenAPI document, merged from the services' own, and a docs page.

Each service serves `/openapi.json` with its service-local paths. The gateway fetches them
when asked (cached briefly), keeps only the paths its route table exposes, rewrites them to
their public paths, merges the components (a schema two services define differently is
renamed `<service>.<name>`), and declares the bearer-token security scheme. A service that
is down is left out (its last good document is used if there is one), never an error.
"""

from __future__ import annotations

import asyncio
import copy
import html
import json
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import structlog
from yarl import URL

from services.gateway.routes import RouteTable

log = structlog.get_logger(__name__)
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BEARER = "bearer"
SCHEMA_REF = "#/components/schemas/"
FAILURE_CACHE_SECONDS = 5.0


class PublicApiDocument:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        upstreams: Mapping[str, URL],
        table: RouteTable,
        *,
        public_url: str,
        cache_seconds: float = 30.0,
        timeout: float = 3.0,
    ) -> None:
        self.session = session
        self.upstreams = upstreams
        self.table = table
        self.public_url = public_url.rstrip("/")
        self.cache_seconds = cache_seconds
        self.timeout = timeout
        self._documents: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._good: dict[str, dict[str, Any]] = {}

    async def document(self) -> dict[str, Any]:
        services = [s for s in self.table.services() if s in self.upstreams]
        fetched = await asyncio.gather(*(self._service_document(s) for s in services))
        return merge(
            {s: d for s, d in zip(services, fetched, strict=True) if d is not None},
            self.table,
            self.public_url,
        )

    async def _service_document(self, service: str) -> dict[str, Any] | None:
        now = time.monotonic()
        cached = self._documents.get(service)
        if cached is not None:
            fetched_at, document = cached
            age = now - fetched_at
            if age < (self.cache_seconds if document is not None else FAILURE_CACHE_SECONDS):
                return document or self._good.get(service)
        document = await self._fetch(service)
        self._documents[service] = (now, document)
        if document is not None:
            self._good[service] = document
        return document or self._good.get(service)

    async def _fetch(self, service: str) -> dict[str, Any] | None:
        url = self.upstreams[service].joinpath("openapi.json")
        try:
            async with self.session.get(
                url, timeout=aiohttp.ClientTimeout(total=self.timeout)
            ) as response:
                if response.status != 200:
                    return None
                document = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            log.info("no OpenAPI document", service=service, error=type(error).__name__)
            return None
        return document if isinstance(document, dict) else None


def merge(
    documents: Mapping[str, Mapping[str, Any]], table: RouteTable, public_url: str
) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    tags: dict[str, dict[str, Any]] = {}
    for service, original in sorted(documents.items()):
        document = copy.deepcopy(dict(original))
        own = document.get("components", {}).get("schemas", {}) or {}
        renames = {
            name: f"{service}.{name}"
            for name, schema in own.items()
            if name in schemas and schemas[name] != schema
        }
        document = _rename_refs(document, renames)
        for name, schema in (document.get("components", {}).get("schemas", {}) or {}).items():
            schemas[renames.get(name, name)] = schema
        for tag in document.get("tags", []) or []:
            if isinstance(tag, dict) and "name" in tag:
                tags.setdefault(tag["name"], tag)
        for path, item in (document.get("paths", {}) or {}).items():
            public = table.public_path(service, path)
            if public is None:
                continue  # not exposed by the gateway: internal, or not routed yet
            route = table.match(public)
            assert route is not None
            for method in HTTP_METHODS:
                operation = item.get(method)
                if not isinstance(operation, dict):
                    continue
                operation["security"] = [] if route.public else [{BEARER: []}]
                if route.module is not None:
                    operation["x-guichet-module"] = route.module.value
                if route.scope is not None:
                    operation["x-guichet-scope"] = route.scope.value
                operation.setdefault("tags", [service])
            paths[public] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Guichet API",
            "version": "1",
            "description": "The public API of the portal. Send the access token from"
            " `POST /api/auth/sign-in` as `Authorization: Bearer …`.",
        },
        "servers": [{"url": public_url}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                BEARER: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{BEARER: []}],
        "tags": list(tags.values()),
    }


def _rename_refs(node: Any, renames: Mapping[str, str]) -> Any:
    if not renames:
        return node
    if isinstance(node, dict):
        return {
            key: (
                SCHEMA_REF + renames.get(value[len(SCHEMA_REF) :], value[len(SCHEMA_REF) :])
                if key == "$ref" and isinstance(value, str) and value.startswith(SCHEMA_REF)
                else _rename_refs(value, renames)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    return node


def docs_page(document: Mapping[str, Any]) -> str:
    """A plain page listing every operation: no script, no CDN, works everywhere."""
    rows = []
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            access = "public" if operation.get("security") == [] else "signed in"
            if operation.get("x-guichet-module"):
                access += f" · module {operation['x-guichet-module']}"
            if operation.get("x-guichet-scope"):
                access += f" · internal system, scope {operation['x-guichet-scope']}"
            rows.append(
                "<tr>"
                f"<td><code>{html.escape(method.upper())}</code></td>"
                f"<td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(str(operation.get('summary', '')))}</td>"
                f"<td>{html.escape(access)}</td>"
                "</tr>"
            )
    title = html.escape(str(document.get("info", {}).get("title", "API")))
    description = html.escape(str(document.get("info", {}).get("description", "")))
    body = "\n".join(rows) or '<tr><td colspan="4">No service has described its API yet.</td></tr>'
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.4rem;
text-align:left}}</style></head>
<body><h1>{title}</h1><p>{description}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<table><thead><tr><th>Method</th><th>Path</th><th>What it does</th><th>Access</th></tr></thead>
<tbody>
{body}
</tbody></table></body></html>
"""


def pretty(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)
