"""OpenAPI 3.1 descriptions of a service's routes, from the pydantic models they already use.

A handler is described once, next to its route:

    @routes.post("/tickets")
    @operation("Open a ticket", request=OpenTicketRequest, responses={201: TicketView})
    async def open_ticket(request): ...

Each service serves its own document at `/openapi.json` (service-local paths); the gateway
merges them into the public API's document. Routes without an `@operation` (health, metrics,
the document itself) are not part of the API and stay out of it.
"""

from __future__ import annotations

import http
import importlib.metadata
import json
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OPERATION_ATTRIBUTE = "__openapi_operation__"
OPENAPI_VERSION = "3.1.0"
OPENAPI_PATH = "/openapi.json"
SCHEMA_REF = "#/components/schemas/{model}"
PROBLEM_SCHEMA = "Problem"
PROBLEM_FIELD_SCHEMA = "ProblemFieldError"
BEARER_SCHEME = "bearer"
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Operation:
    summary: str
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    # status → body model (None: no body, or a problem+json for 4xx)
    responses: Mapping[int, type[BaseModel] | None] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    public: bool = False  # true when no access token is needed
    description: str = ""
    # Overrides the handler's name, for the rare handler that serves two routes.
    operation_id: str | None = None
    # status → the body's content type where it is not the default (JSON for a success,
    # problem+json for an error): RFC 6749's JSON errors, an HTML page.
    media_types: Mapping[int, str] = field(default_factory=dict)


def operation(
    summary: str,
    *,
    request: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    responses: Mapping[int, type[BaseModel] | None] | None = None,
    tags: tuple[str, ...] = (),
    public: bool = False,
    description: str = "",
    operation_id: str | None = None,
    media_types: Mapping[int, str] | None = None,
) -> Callable[[Handler], Handler]:
    described = Operation(
        summary=summary,
        request=request,
        query=query,
        responses=dict(responses or {}),
        tags=tags,
        public=public,
        description=description,
        operation_id=operation_id,
        media_types=dict(media_types or {}),
    )

    def describe(handler: Handler) -> Handler:
        setattr(handler, OPERATION_ATTRIBUTE, described)
        return handler

    return describe


def described_operation(handler: object) -> Operation | None:
    return getattr(handler, OPERATION_ATTRIBUTE, None)


# --- the document ---------------------------------------------------------------------------

# RFC 9457 problem details, as shared/http/problems.py writes them. Extensions are allowed
# (the 500 carries `request_id`), so the object stays open.
_PROBLEM_SCHEMAS: dict[str, dict[str, Any]] = {
    PROBLEM_SCHEMA: {
        "title": "Problem",
        "description": "An error, as RFC 9457 problem details.",
        "type": "object",
        "properties": {
            "type": {"type": "string", "format": "uri-reference", "default": "about:blank"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            # The request's path, decoded, so not always a strict URI reference.
            "instance": {"type": "string"},
            "errors": {
                "description": "For a 422: one entry per invalid field.",
                "type": "array",
                "items": {"$ref": SCHEMA_REF.format(model=PROBLEM_FIELD_SCHEMA)},
            },
            "request_id": {
                "description": "For a 500: the id to quote to support.",
                "type": "string",
            },
        },
        "required": ["type", "title", "status"],
    },
    PROBLEM_FIELD_SCHEMA: {
        "title": "ProblemFieldError",
        "type": "object",
        "properties": {
            "field": {
                "description": "Dotted path of the field; null for the body as a whole.",
                "type": ["string", "null"],
            },
            "message": {"type": "string"},
            "code": {"type": "string"},
        },
        "required": ["field", "message", "code"],
    },
}

# What an aiohttp path parameter's regex says about its type, when it says it plainly.
_HEX = r"\[(?:0-9a-f|0-9a-fA-F|0-9A-Fa-f|a-f0-9|a-fA-F0-9|A-Fa-f0-9|\\da-f|\\da-fA-F)\]"
_UUID_LIKE = re.compile(_HEX + r"\{8\}.*" + _HEX + r"\{12\}")
_INTEGER_LIKE = {r"\d+", "[0-9]+"}
_AIOHTTP_DEFAULT = "[^{}/]+"
_GROUP_START = re.compile(r"\(\?P<(?P<name>[A-Za-z_][A-Za-z0-9_]*)>")


@dataclass(frozen=True)
class _Route:
    method: str
    path: str
    handler: object
    operation: Operation
    parameters: tuple[tuple[str, str], ...]  # (name, regex)


def openapi_document(app: web.Application, *, title: str, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every described route of `app`."""
    routes = list(_described_routes(app))
    schemas = _model_schemas(routes)
    operation_ids: dict[str, str] = {}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation_id = route.operation.operation_id or getattr(route.handler, "__name__", "")
        where = f"{route.method} {route.path}"
        if not operation_id:
            raise ValueError(f"{where}: give the operation an operation_id")
        if operation_id in operation_ids:
            raise ValueError(
                f"{where} and {operation_ids[operation_id]} share the operationId"
                f" {operation_id!r}: give one of them an operation_id"
            )
        operation_ids[operation_id] = where
        paths.setdefault(route.path, {})[route.method.lower()] = _operation_object(
            route, operation_id, schemas
        )
    components = schemas.components()
    for name, schema in _PROBLEM_SCHEMAS.items():
        if name in components:
            raise ValueError(f"a model is named {name!r}, which the problem schema needs")
        components[name] = schema
    tags = sorted({tag for route in routes for tag in route.operation.tags})
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                BEARER_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An access token issued by the identity service.",
                }
            },
        },
    }
    if tags:
        document["tags"] = [{"name": tag} for tag in tags]
    return document


def serve_document(app: web.Application, *, title: str, version: str | None = None) -> None:
    """Serve `app`'s document at GET /openapi.json, built on first request (when every route
    is registered) and kept: routes cannot change once the app runs."""
    cached: list[bytes] = []

    async def openapi_json(request: web.Request) -> web.Response:
        if not cached:
            document = openapi_document(
                request.app, title=title, version=version or importlib.metadata.version("guichet")
            )
            cached.append(json.dumps(document, ensure_ascii=False).encode())
        return web.Response(body=cached[0], content_type=JSON)

    app.router.add_get(OPENAPI_PATH, openapi_json)


def _described_routes(app: web.Application) -> Iterator[_Route]:
    for route in app.router.routes():
        described = described_operation(route.handler)
        # aiohttp adds a HEAD twin to every GET; it is the same operation.
        if described is None or route.method in {"HEAD", "*"} or route.resource is None:
            continue
        info = route.resource.get_info()
        pattern = info.get("pattern")
        parameters = _path_parameters(pattern.pattern) if pattern is not None else ()
        yield _Route(
            method=route.method,
            path=route.resource.canonical,  # `{name:regex}` already reads `{name}` here
            handler=route.handler,
            operation=described,
            parameters=parameters,
        )


def _path_parameters(pattern: str) -> tuple[tuple[str, str], ...]:
    """(name, regex) of each `(?P<name>regex)` group aiohttp compiled the path into."""
    found: list[tuple[str, str]] = []
    for start in _GROUP_START.finditer(pattern):
        depth, index, escaped, in_class = 1, start.end(), False, False
        while index < len(pattern) and depth:
            char = pattern[index]
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif in_class:  # a parenthesis inside [...] is a literal
                in_class = char != "]"
            elif char == "[":
                in_class = True
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            index += 1
        found.append((start["name"], pattern[start.end() : index - 1]))
    return tuple(found)


def _path_parameter_schema(regex: str) -> dict[str, Any]:
    if regex == _AIOHTTP_DEFAULT:
        return {"type": "string"}
    if regex in _INTEGER_LIKE:
        return {"type": "integer", "minimum": 0}
    if _UUID_LIKE.search(regex):
        return {"type": "string", "format": "uuid"}
    return {"type": "string", "pattern": f"^(?:{regex})$"}


@dataclass(frozen=True)
class _Schemas:
    refs: Mapping[tuple[type[BaseModel], JsonSchemaMode], dict[str, Any]]
    definitions: Mapping[str, dict[str, Any]]
    hidden: frozenset[str] = frozenset()  # resolvable, but not published as components

    def ref(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return self.refs[(model, mode)]

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = schema.get("$ref")
        return self.definitions[ref.rsplit("/", 1)[-1]] if isinstance(ref, str) else schema

    def components(self) -> dict[str, dict[str, Any]]:
        return {name: s for name, s in self.definitions.items() if name not in self.hidden}


def _model_schemas(routes: list[_Route]) -> _Schemas:
    """One pydantic pass over every model, so a model used twice is one component (named
    `Model-Input` / `Model-Output` only where its two modes really differ)."""
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {}
    for route in routes:
        if route.operation.request is not None:
            wanted[(route.operation.request, "validation")] = None
        for model in route.operation.responses.values():
            if model is not None:
                wanted[(model, "serialization")] = None
    bodies = list(wanted)
    for route in routes:
        if route.operation.query is not None:
            wanted[(route.operation.query, "validation")] = None
    if not wanted:
        return _Schemas({}, {})
    refs, definitions = models_json_schema(list(wanted), ref_template=SCHEMA_REF)
    every = dict(definitions.get("$defs", {}))
    # A query model becomes parameters, not a schema: publish it only if something else
    # refers to it as well.
    hidden: set[str] = set()
    for key in wanted.keys() - set(bodies):
        ref = refs[key].get("$ref")
        if not isinstance(ref, str):
            continue
        name = ref.rsplit("/", 1)[-1]
        elsewhere = [refs[body] for body in bodies] + [
            schema for other, schema in every.items() if other != name
        ]
        if f'"{ref}"' not in json.dumps(elsewhere):
            hidden.add(name)
    return _Schemas(refs, every, frozenset(hidden))


def _operation_object(route: _Route, operation_id: str, schemas: _Schemas) -> dict[str, Any]:
    described = route.operation
    result: dict[str, Any] = {"operationId": operation_id, "summary": described.summary}
    if described.description:
        result["description"] = described.description
    if described.tags:
        result["tags"] = list(described.tags)
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _path_parameter_schema(regex),
        }
        for name, regex in route.parameters
    ]
    if described.query is not None:
        parameters.extend(_query_parameters(schemas, described.query))
    if parameters:
        result["parameters"] = parameters
    if described.request is not None:
        result["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": schemas.ref(described.request, "validation")}},
        }
    result["responses"] = _responses(described, schemas)
    # An empty list says "no token needed" even if a document-wide default is added later.
    result["security"] = [] if described.public else [{BEARER_SCHEME: []}]
    return result


def _query_parameters(schemas: _Schemas, model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = schemas.resolve(schemas.ref(model, "validation"))
    required = set(schema.get("required", ()))
    parameters = []
    for name, property_schema in schema.get("properties", {}).items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": property_schema,
        }
        if "description" in property_schema:
            parameter["description"] = property_schema["description"]
        parameters.append(parameter)
    return parameters


def _responses(described: Operation, schemas: _Schemas) -> dict[str, Any]:
    statuses: dict[int, type[BaseModel] | None] = dict(described.responses)
    automatic: list[int] = []
    if described.request is not None:
        automatic += [400, 415, 422]  # see problems.read_json
    if described.query is not None:
        automatic.append(422)
    if not described.public:
        automatic += [401, 403]
    for status in automatic:
        statuses.setdefault(status, None)
    responses: dict[str, Any] = {}
    for status in sorted(statuses):
        model = statuses[status]
        response: dict[str, Any] = {"description": _phrase(status)}
        media_type = described.media_types.get(status)
        if media_type is not None:
            body = {"schema": schemas.ref(model, "serialization")} if model is not None else {}
            response["content"] = {media_type: body}
        elif status >= 400:
            schema = (
                schemas.ref(model, "serialization")
                if model is not None
                else {"$ref": SCHEMA_REF.format(model=PROBLEM_SCHEMA)}
            )
            response["content"] = {PROBLEM_JSON: {"schema": schema}}
        elif model is not None:
            response["content"] = {JSON: {"schema": schemas.ref(model, "serialization")}}
        responses[str(status)] = response
    return responses


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"Status {status}"
