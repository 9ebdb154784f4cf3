"""What every page handler uses: the visitor's session, the API on their behalf, who they
are, and the page itself."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog
from aiohttp import web

from services.web.api_client import Api, ApiError, GatewayClient, expiry
from services.web.i18n import CHOICE_COOKIE, Language, chosen_language
from services.web.rendering import html
from services.web.sessions import SessionStore, Tokens, WebSession
from services.web.settings import WebSettings
from shared.auth.claims import VENDOR_ROLES, Module, Role

STORE = web.AppKey("session_store", SessionStore)
GATEWAY = web.AppKey("gateway_client", GatewayClient)
WEB_SETTINGS = web.AppKey("web_settings", WebSettings)
SESSION = web.RequestKey("web_session", WebSession)
NEW_SESSION_ID = web.RequestKey("new_session_id", str)
DROP_COOKIE = web.RequestKey("drop_cookie", bool)
USER = web.RequestKey("user", dict)
CART_API = "/api/cart"
"""The signed-in customer's cart (the orders service), counted in every page's header."""
log = structlog.get_logger(__name__)


def cookie_name(settings: WebSettings) -> str:
    # `__Host-`: the browser only accepts it Secure, from this host, for the whole site.
    return "__Host-guichet-session" if settings.secure_cookies else "guichet-session"


def session_of(request: web.Request) -> WebSession | None:
    return request.get(SESSION)


async def ensure_session(request: web.Request) -> WebSession:
    """The visitor's session, or a new pre-session for the form about to be shown."""
    session = session_of(request)
    if session is None:
        session_id, session = await request.app[STORE].create()
        request[SESSION] = session
        request[NEW_SESSION_ID] = session_id
    return session


async def start_signed_in_session(
    request: web.Request, answer: dict[str, Any], *, remember: bool
) -> WebSession:
    """Replace the pre-session with a signed-in one under a new id."""
    store = request.app[STORE]
    old = session_of(request)
    if old is not None:
        await store.delete(old)
    organisation = answer.get("organisation_id")
    session_id, session = await store.create(
        tokens=Tokens.from_answer(answer),
        organisation_id=uuid.UUID(organisation) if organisation else None,
        remember=remember,
        expires_at=expiry(answer),
    )
    request[SESSION] = session
    request[NEW_SESSION_ID] = session_id
    return session


def api(request: web.Request) -> Api:
    return Api(request.app[GATEWAY], request.app[STORE], request, session_of(request))


@dataclass(frozen=True)
class Acting:
    """Who the signed-in user is in the organisation they act for."""

    user: dict[str, Any]
    organisation: dict[str, Any] | None
    role: Role

    @property
    def modules(self) -> set[str]:
        return set(self.organisation["modules"]) if self.organisation else set()

    @property
    def staff(self) -> bool:
        return self.role in VENDOR_ROLES

    @property
    def back_office(self) -> bool:
        return self.role in {Role.VENDOR_BACK_OFFICE, Role.VENDOR_ADMIN}

    @property
    def customer_admin(self) -> bool:
        return self.role is Role.CUSTOMER_ADMIN

    def has(self, module: Module) -> bool:
        return self.staff or module.value in self.modules


async def acting(request: web.Request) -> Acting:
    if USER not in request:
        request[USER] = await api(request).get("/api/me")
    user = request[USER]
    session = session_of(request)
    organisation_id = str(session.organisation_id) if session and session.organisation_id else None
    organisation = next(
        (m for m in user["organisations"] if m["organisation_id"] == organisation_id), None
    )
    role = Role(user["staff_role"] or (organisation["role"] if organisation else "customer_user"))
    return Acting(user, organisation, role)


async def language(request: web.Request) -> Language:
    user = request.get(USER)
    return chosen_language(request, user["language"] if user else None)


async def page(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    """A page: signed-in pages get who is acting (for the navigation); every form gets the
    session's CSRF token."""
    session = session_of(request)
    who = await acting(request) if session is not None and session.signed_in else None
    flash = await request.app[STORE].take_flash(session) if session is not None else []
    chosen = await language(request)
    zone = request.app[WEB_SETTINGS].zone
    response = html(
        template,
        chosen,
        zone,
        status=status,
        acting=who,
        cart_count=await cart_count(request, who),
        csrf=session.csrf_token if session else "",
        flash=flash,
        path=request.path,
        now=dt.datetime.now(zone),
        **context,
    )
    if who is not None and request.cookies.get(CHOICE_COOKIE) != chosen:
        # Remembered for the signed-out pages too: after signing out, the sign-in page
        # speaks the language the user chose.
        remember_language(request, response, chosen)
    return response


async def cart_count(request: web.Request, who: Acting | None) -> int | None:
    """How many machines the customer's cart has consumables for ("Mon panier (2)"), for
    those with the orders module; None for everyone else, and when the orders service does
    not answer (the page is shown without the count rather than not at all)."""
    if who is None or who.staff or Module.ORDERS.value not in who.modules:
        return None
    try:
        cart = await api(request).get(CART_API)
    except (ApiError, aiohttp.ClientError, TimeoutError):
        log.warning("cart not counted", exc_info=True)
        return None
    return len(cart["entries"])


def remember_language(request: web.Request, response: web.StreamResponse, chosen: str) -> None:
    response.set_cookie(
        CHOICE_COOKIE,
        chosen,
        path="/",
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.app[WEB_SETTINGS].secure_cookies,
    )


async def form_page(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    """A signed-out page with a form: bound to a (pre-)session for its CSRF token."""
    await ensure_session(request)
    return await page(request, template, status=status, **context)


async def flash(request: web.Request, key: str, **values: str) -> None:
    session = session_of(request)
    if session is not None:
        await request.app[STORE].add_flash(session, key, **values)


def redirect(location: str) -> web.HTTPSeeOther:
    """After a form: POST, redirect, GET (reloading does not post again)."""
    return web.HTTPSeeOther(location)
