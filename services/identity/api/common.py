"""What every identity route uses: the wiring keys, the acting user, the event context, and
how domain refusals become problem+json."""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
from aiohttp import web
from pydantic import BaseModel

from services.identity import credentials, sessions
from services.identity.authentication import (
    AccessDenied,
    Authenticator,
    LockedOut,
    SignInRefused,
)
from services.identity.domain import InvalidCommand, RuleBroken
from services.identity.handlers import Identity
from services.identity.settings import IdentitySettings
from services.identity.signing_keys import SigningKeys
from shared.eventstore import EventContext
from shared.http.client_ip import client_ip
from shared.http.middleware import REQUEST_ID
from shared.http.principal import Principal, acting_principal
from shared.http.problems import Problem

IDENTITY = web.AppKey("identity", Identity)
AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
PASSWORD_RULES = web.AppKey("password_rules", credentials.PasswordRules)
SIGNING_KEYS = web.AppKey("signing_keys", SigningKeys)
IDENTITY_SETTINGS = web.AppKey("identity_settings", IdentitySettings)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def context(request: web.Request, organisation_id: uuid.UUID | None = None) -> EventContext:
    principal = acting_principal(request)
    return EventContext(
        correlation_id=request[REQUEST_ID],
        organisation_id=organisation_id or principal.organisation_id,
        actor_id=principal.user_id,
    )


def anonymous_context(request: web.Request) -> EventContext:
    return EventContext(correlation_id=request[REQUEST_ID])


def actor(principal: Principal) -> uuid.UUID:
    """The acting user's id; internal systems (client credentials) act under their client id,
    which identity's user commands do not accept."""
    try:
        return uuid.UUID(principal.user_id)
    except ValueError:
        raise Problem(403, "Forbidden", "Only a user can do this.") from None


def ip_of(request: web.Request) -> str | None:
    address = client_ip(request)
    return str(address) if address else None


# Far beyond any real list, and well inside PostgreSQL's bigint for OFFSET.
LARGEST_OFFSET = 1_000_000_000


def query_number(request: web.Request, name: str, default: int, *, low: int, high: int) -> int:
    """An integer query parameter, brought within [low, high]; 400 when it is not a number."""
    try:
        value = int(request.query.get(name, str(default)))
    except ValueError:
        raise Problem(400, "Bad request", f"`{name}` must be a number.") from None
    return min(high, max(low, value))


def search_text(request: web.Request) -> str:
    """The `search` query parameter, at most 200 characters. PostgreSQL text cannot hold a NUL
    character: 400 rather than a failed query."""
    text = request.query.get("search", "")[:200]
    if "\x00" in text:
        raise Problem(400, "Bad request", "`search` must not contain a NUL character.")
    return text


def json_response(model: BaseModel | list[BaseModel], status: int = 200) -> web.Response:
    if isinstance(model, list):
        return web.json_response([item.model_dump(mode="json") for item in model], status=status)
    return web.json_response(model.model_dump(mode="json"), status=status)


@web.middleware
async def domain_problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Identity's refusals as problem+json: a broken rule is a conflict with the current
    state (409), an invalid command names the field (422), and so on."""
    try:
        return await handler(request)
    except RuleBroken as error:
        raise Problem(409, "Conflict", str(error).capitalize() + ".") from None
    except InvalidCommand as error:
        raise Problem(
            422,
            "Invalid request",
            str(error).capitalize() + ".",
            errors=[{"field": error.field, "message": str(error), "code": "invalid"}],
        ) from None
    except credentials.PasswordRefused as error:
        raise Problem(
            422,
            "Password refused",
            "The password does not follow the password policy.",
            type_="https://guichet.dev/problems/password-refused",
            violations=[violation_json(violation) for violation in error.violations],
        ) from None
    except credentials.LinkUnusable:
        raise Problem(
            410,
            "Link no longer valid",
            "This link was already used or has expired. Ask for a new one.",
        ) from None
    except credentials.WrongPassword:
        raise Problem(403, "Forbidden", "The current password is not right.") from None
    except SignInRefused:
        raise Problem(
            401,
            "Sign-in refused",
            "The login or the password is not right.",
            type_="https://guichet.dev/problems/sign-in-refused",
        ) from None
    except LockedOut as error:
        seconds = max(1, math.ceil((error.until - datetime.now(UTC)).total_seconds()))
        raise Problem(
            429,
            "Too many attempts",
            "Too many failed sign-ins. Try again later or reset your password.",
            headers={"Retry-After": str(seconds)},
        ) from None
    except AccessDenied as error:
        raise Problem(403, "Access denied", str(error).capitalize() + ".") from None
    except sessions.RefreshRefused:
        raise Problem(
            401,
            "Session ended",
            "This session has ended. Sign in again.",
            type_="https://guichet.dev/problems/session-ended",
        ) from None
    except LookupError as error:
        raise Problem(404, "Not found", str(error).capitalize() + ".") from None
    except asyncpg.UniqueViolationError:
        raise Problem(409, "Conflict", "This already exists.") from None


def violation_json(violation: object) -> dict[str, object]:
    dump = getattr(violation, "model_dump", None)
    if dump is not None:
        return dump(mode="json")
    return dict(vars(violation))
