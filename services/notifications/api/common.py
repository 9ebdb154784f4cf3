"""What every notifications route uses."""

from __future__ import annotations

import uuid
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from shared.http.principal import Principal
from shared.http.problems import Problem, validation_problem

ModelT = TypeVar("ModelT", bound=BaseModel)


def acting_user(principal: Principal) -> uuid.UUID:
    """The signed-in user's id; an internal system (client credentials) is no user."""
    try:
        return uuid.UUID(principal.user_id)
    except ValueError:
        raise Problem(403, "Forbidden", "Only a signed-in user can do this.") from None


def json_response(model: BaseModel, status: int = 200) -> web.Response:
    return web.json_response(model.model_dump(mode="json"), status=status)


def read_query(request: web.Request, model: type[ModelT]) -> ModelT:
    """The query string as `model`: 422 naming the invalid parameters."""
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as error:
        raise validation_problem(error) from None
