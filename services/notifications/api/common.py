"""What every notifications route uses."""

from __future__ import annotations

import uuid

from aiohttp import web
from pydantic import BaseModel

from shared.http.principal import Principal
from shared.http.problems import Problem


def acting_user(principal: Principal) -> uuid.UUID:
    """The signed-in user's id; an internal system (client credentials) is no user."""
    try:
        return uuid.UUID(principal.user_id)
    except ValueError:
        raise Problem(403, "Forbidden", "Only a signed-in user can do this.") from None


def json_response(model: BaseModel, status: int = 200) -> web.Response:
    return web.json_response(model.model_dump(mode="json"), status=status)
