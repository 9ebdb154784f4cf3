"""Who is acting, and for which organisation.

Every query and every appended event is scoped by the acting organisation, which comes from
the verified identity of the request, never from its body.

Until the identity service issues tokens (the identity-and-gateway issue), the identity is
read from the `X-Guichet-Organisation` and `X-Guichet-User` headers that the gateway will
set after verifying a token. This function is the one place that changes when tokens land.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiohttp import web

from shared.http.problems import Problem

ORGANISATION_HEADER = "X-Guichet-Organisation"
USER_HEADER = "X-Guichet-User"


@dataclass(frozen=True)
class Principal:
    organisation_id: uuid.UUID
    user_id: str | None


def acting_principal(request: web.Request) -> Principal:
    raw = request.headers.get(ORGANISATION_HEADER)
    if raw is None:
        raise Problem(401, "Unauthenticated", "This request does not say who is acting.")
    try:
        organisation_id = uuid.UUID(raw)
    except ValueError:
        raise Problem(401, "Unauthenticated", "The acting organisation is not valid.") from None
    return Principal(organisation_id=organisation_id, user_id=request.headers.get(USER_HEADER))
