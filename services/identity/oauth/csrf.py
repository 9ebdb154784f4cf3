"""The authorization page's defence against cross-site form posts (login CSRF).

Signed double submit: the browser holds a random secret in an HttpOnly, SameSite=Strict
cookie; the form carries that secret sealed with identity's sealing key. A post counts only
when the form's token opens to the cookie's secret, which another site can neither read nor
forge.
"""

from __future__ import annotations

import hmac
import re
import secrets

from aiohttp import web

from shared.sealing import Sealer, Unsealable

COOKIE = "guichet_oauth_csrf"
FIELD = "csrf_token"
_SUBJECT = "oauth-authorize-form"
_SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")
_COOKIE_SECONDS = 3600


def browser_secret(request: web.Request) -> str:
    """The secret this browser already holds (so several open pages keep working), or a
    new one."""
    held = request.cookies.get(COOKIE, "")
    return held if _SECRET.match(held) else secrets.token_urlsafe(32)


def form_token(sealer: Sealer, secret: str) -> str:
    return sealer.seal(secret, subject=_SUBJECT)


def keep(response: web.StreamResponse, secret: str, *, secure: bool) -> None:
    response.set_cookie(
        COOKIE,
        secret,
        max_age=_COOKIE_SECONDS,
        httponly=True,
        samesite="Strict",
        secure=secure,
    )


def genuine(request: web.Request, sealer: Sealer, token: str | None) -> bool:
    held = request.cookies.get(COOKIE, "")
    if not token or not _SECRET.match(held):
        return False
    try:
        sealed_secret = sealer.unseal(token, subject=_SUBJECT)
    except Unsealable:
        return False
    return hmac.compare_digest(sealed_secret, held)
