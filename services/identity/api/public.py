"""What anyone may read: the vendor's branding for the sign-in page, and the keys and
metadata clients need to check tokens."""

from __future__ import annotations

import mimetypes

from aiohttp import web
from pydantic import BaseModel

from services.identity.api.common import IDENTITY_SETTINGS, SIGNING_KEYS, json_response
from shared.auth.claims import SIGNING_ALGORITHM
from shared.http.keys import SETTINGS
from shared.http.openapi import operation
from shared.http.problems import Problem

routes = web.RouteTableDef()
LOGO_TYPES = {"image/png", "image/jpeg", "image/svg+xml", "image/webp"}


class Branding(BaseModel):
    vendor_name: str
    logo_url: str | None


@routes.get("/branding")
@operation(
    "The vendor's name and logo, for the sign-in page",
    responses={200: Branding},
    tags=("branding",),
    public=True,
)
async def branding(request: web.Request) -> web.Response:
    settings = request.app[IDENTITY_SETTINGS]
    logo = "/api/branding/logo" if settings.vendor_logo_path else None
    return json_response(Branding(vendor_name=settings.vendor_name, logo_url=logo))


@routes.get("/branding/logo")
@operation("The vendor's logo", responses={200: None, 404: None}, tags=("branding",), public=True)
async def logo(request: web.Request) -> web.StreamResponse:
    path = request.app[IDENTITY_SETTINGS].vendor_logo_path
    path = str(path) if path else None
    content_type = mimetypes.guess_type(path)[0] if path else None
    # The settings checked at start-up that the file exists.
    if not path or content_type not in LOGO_TYPES:
        raise Problem(404, "Not found", "No logo is configured.")
    return web.FileResponse(
        path,
        headers={
            "Content-Type": content_type,
            "Cache-Control": "public, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            # An SVG opened directly must not run script.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )


@routes.get("/.well-known/jwks.json")
@operation(
    "The public keys access tokens are signed with",
    responses={200: None},
    tags=("tokens",),
    public=True,
)
async def jwks(request: web.Request) -> web.Response:
    return web.json_response(
        await request.app[SIGNING_KEYS].jwks(), headers={"Cache-Control": "public, max-age=300"}
    )


@routes.get("/.well-known/openid-configuration")
@operation("OpenID Provider metadata", responses={200: None}, tags=("tokens",), public=True)
async def openid_configuration(request: web.Request) -> web.Response:
    """What exists, nothing more (the endpoints are the gateway's public paths)."""
    issuer = str(request.app[SETTINGS].public_url).rstrip("/")
    return web.json_response(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/api/oauth/authorize",
            "token_endpoint": f"{issuer}/api/oauth/token",
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "none",
                "client_secret_basic",
                "client_secret_post",
            ],
            "scopes_supported": ["openid"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce"],
            "id_token_signing_alg_values_supported": [SIGNING_ALGORITHM],
            "subject_types_supported": ["public"],
        },
        headers={"Cache-Control": "public, max-age=300"},
    )
