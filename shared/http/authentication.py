"""The authentication middleware: who a request's bearer token says is calling, verified.

Every service verifies the token again, even behind the gateway (defence in depth: a
service reached by mistake, or by a compromised neighbour, still trusts no unsigned claim).
Verification happens once per request here; `shared.http.principal` reads the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler

from shared.auth.claims import AccessClaims
from shared.auth.verifier import InvalidToken, KeysUnavailable, TokenVerifier

VERIFIER = web.AppKey("token_verifier", TokenVerifier)


@dataclass(frozen=True)
class Authentication:
    """The outcome for one request: claims when a valid token came, else why not."""

    claims: AccessClaims | None = None
    failure: str | None = None
    """None: no token was sent. Otherwise why the token sent was refused (for logs)."""
    keys_unavailable: bool = False


AUTHENTICATION = web.RequestKey("authentication", Authentication)
ANONYMOUS = Authentication()


def bearer_token(request: web.Request) -> str | None:
    """The token of `Authorization: Bearer …`; None without one; '' when malformed."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


async def authenticate_request(request: web.Request, verifier: TokenVerifier) -> Authentication:
    token = bearer_token(request)
    if token is None:
        return ANONYMOUS
    try:
        return Authentication(claims=await verifier.verify(token))
    except KeysUnavailable as error:
        return Authentication(failure=str(error), keys_unavailable=True)
    except InvalidToken as error:
        return Authentication(failure=str(error))


@web.middleware
async def authentication(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Verify the bearer token, if any, and keep the outcome on the request. Never refuses a
    request itself: public routes ignore it, `acting_principal` turns a failure into 401."""
    verifier = request.app.get(VERIFIER)
    if verifier is None:
        request[AUTHENTICATION] = Authentication(failure="this service verifies no tokens")
    else:
        request[AUTHENTICATION] = await authenticate_request(request, verifier)
    return await handler(request)
