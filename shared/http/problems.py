"""RFC 9457 problem details: every error a client sees, and nothing it should not see."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any, TypeVar, get_args, get_origin

from aiohttp import web
from pydantic import BaseModel, ValidationError

PROBLEM_CONTENT_TYPE = "application/problem+json"
ModelT = TypeVar("ModelT", bound=BaseModel)


class Problem(Exception):
    """Raise from a handler to answer with problem+json."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type_: str = "about:blank",
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        # Response headers the problem implies: WWW-Authenticate, Retry-After, Allow.
        self.headers = dict(headers or {})
        self.extensions = extensions

    def response(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        body["instance"] = request.path
        body.update(self.extensions)
        return web.Response(
            status=self.status,
            text=json.dumps(body, ensure_ascii=False, default=str),
            content_type=PROBLEM_CONTENT_TYPE,
            headers=self.headers,
        )


def validation_problem(error: ValidationError) -> Problem:
    """422 with one entry per invalid field, in the words pydantic uses (never the input echoed)."""
    errors = [
        {
            "field": ".".join(str(part) for part in problem["loc"]) or None,
            "message": problem["msg"],
            "code": problem["type"],
        }
        for problem in error.errors(include_url=False, include_input=False)
    ]
    return Problem(
        422,
        "Invalid request",
        "Some fields are missing or invalid.",
        type_="https://guichet.dev/problems/validation",
        errors=errors,
    )


async def read_json(request: web.Request, model: type[ModelT]) -> ModelT:
    """The request body as `model`: 415 if not JSON, 400 if malformed, 422 if invalid."""
    if request.content_type != "application/json":
        raise Problem(415, "Unsupported media type", "Send the body as application/json.")
    raw = await request.read()
    try:
        parsed = model.model_validate_json(raw)
    except ValidationError as error:
        if any(problem["type"] == "json_invalid" for problem in error.errors()):
            raise Problem(400, "Malformed JSON", "The body is not valid JSON.") from None
        raise validation_problem(error) from None
    # JSON carries a NUL character only escaped; PostgreSQL text and jsonb cannot hold one.
    if b"\\u0000" in raw and (fields := _fields_with_nul(json.loads(raw))):
        raise Problem(
            422,
            "Invalid request",
            "Some fields are missing or invalid.",
            type_="https://guichet.dev/problems/validation",
            errors=[
                {
                    "field": field or None,
                    "message": "must not contain a NUL character",
                    "code": "nul",
                }
                for field in fields
            ],
        )
    return parsed


def _fields_with_nul(value: Any, where: str = "") -> list[str]:
    """The dotted paths of the strings (and keys) holding a NUL; "" for the body itself."""
    if isinstance(value, str):
        return [where] if "\x00" in value else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else key
            found += [path] if "\x00" in key else []
            found += _fields_with_nul(item, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _fields_with_nul(item, f"{where}.{index}" if where else str(index))
    return found


def path_id(request: web.Request, name: str, what: str) -> uuid.UUID:
    """The UUID in the path parameter `name`; a malformed one is a resource that does not
    exist (404 "There is no such <what>."), never a 400 that confirms the route."""
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise Problem(404, "Not found", f"There is no such {what}.") from None


def read_query(request: web.Request, model: type[ModelT]) -> ModelT:
    """The query string as `model`: a list field takes every value of its repeated parameter
    (`?status=new&status=open`), any other field its last; 422 when invalid."""
    data: dict[str, Any] = {}
    for name, field_info in model.model_fields.items():
        values = request.query.getall(name, [])
        if values:
            data[name] = values if _is_list(field_info.annotation) else values[-1]
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_problem(error) from None


def _is_list(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    return any(_is_list(argument) for argument in get_args(annotation)) if origin else False
