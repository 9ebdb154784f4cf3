"""Signing in and out, sessions, passwords and self-registration: the routes a visitor uses
before having an access token (and switching organisation, which needs one)."""

from __future__ import annotations

import uuid
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints

from services.identity import handlers
from services.identity.api.common import (
    AUTHENTICATOR,
    IDENTITY,
    IDENTITY_SETTINGS,
    PASSWORD_RULES,
    anonymous_context,
    ip_of,
    json_response,
    violation_json,
)
from services.identity.authentication import Tokens
from services.identity.domain_types import Language, ShortText
from services.identity.passwords import PasswordChecklist, check_password
from shared.http.keys import DB_POOL
from shared.http.openapi import operation
from shared.http.principal import acting_principal
from shared.http.problems import read_json

routes = web.RouteTableDef()
# Long enough for any real password; bounds the work a request can make argon2 do.
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Secret = Annotated[str, StringConstraints(min_length=10, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignIn(Strict):
    login: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    password: Password
    remember_me: bool = False
    organisation_id: uuid.UUID | None = None


class RefreshRequest(Strict):
    refresh_token: Secret


class ForgotPassword(Strict):
    email: EmailStr


class SetPassword(Strict):
    token: Secret
    new_password: Password


class EmailConfirmation(Strict):
    token: Secret


class ReplaceExpiredPassword(Strict):
    ticket: Secret
    new_password: Password


class SwitchOrganisation(Strict):
    organisation_id: uuid.UUID


class Register(Strict):
    organisation_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ]
    email: EmailStr
    first_name: ShortText
    last_name: ShortText
    function: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    language: Language = "fr"
    password: Password


class PasswordCandidate(Strict):
    password: Password
    email: EmailStr | None = None


class Accepted(BaseModel):
    detail: str


class PolicyCheck(BaseModel):
    acceptable: bool
    violations: list[dict[str, object]]


@routes.post("/auth/sign-in")
@operation(
    "Sign in with an email or user code and a password",
    request=SignIn,
    responses={200: Tokens, 401: None, 403: None, 429: None},
    tags=("authentication",),
    public=True,
    description="Answers tokens, or `password_change_required` with a ticket for"
    " `/auth/password/expired` when the password was set by someone else or has expired.",
)
async def sign_in(request: web.Request) -> web.Response:
    body = await read_json(request, SignIn)
    outcome = await request.app[AUTHENTICATOR].sign_in(
        body.login,
        body.password,
        remember_me=body.remember_me,
        client_ip=ip_of(request),
        organisation_id=body.organisation_id,
    )
    return json_response(outcome)


@routes.post("/auth/refresh")
@operation(
    "Exchange a refresh token for new tokens (the old one stops working)",
    request=RefreshRequest,
    responses={200: Tokens, 401: None},
    tags=("authentication",),
    public=True,
)
async def refresh(request: web.Request) -> web.Response:
    body = await read_json(request, RefreshRequest)
    tokens = await request.app[AUTHENTICATOR].refresh(body.refresh_token, ip_of(request))
    return json_response(tokens)


@routes.post("/auth/sign-out")
@operation(
    "End the session of a refresh token",
    request=RefreshRequest,
    responses={204: None},
    tags=("authentication",),
    public=True,
)
async def sign_out(request: web.Request) -> web.Response:
    body = await read_json(request, RefreshRequest)
    await request.app[AUTHENTICATOR].sign_out(body.refresh_token)
    return web.Response(status=204)


@routes.post("/auth/switch-organisation")
@operation(
    "Act for another of my organisations without signing in again",
    request=SwitchOrganisation,
    responses={200: Tokens, 403: None},
    tags=("authentication",),
)
async def switch_organisation(request: web.Request) -> web.Response:
    principal = acting_principal(request)
    body = await read_json(request, SwitchOrganisation)
    if principal.session_id is None:
        return json_response(Accepted(detail="no session"), status=400)
    tokens = await request.app[AUTHENTICATOR].switch_organisation(
        uuid.UUID(principal.user_id),
        uuid.UUID(principal.session_id),
        body.organisation_id,
        ip_of(request),
    )
    return json_response(tokens)


@routes.post("/auth/password/forgot")
@operation(
    "Ask for a password-reset link by email",
    request=ForgotPassword,
    responses={202: Accepted},
    tags=("passwords",),
    public=True,
    description="The answer is the same whether or not the email has an account.",
)
async def forgot_password(request: web.Request) -> web.Response:
    body = await read_json(request, ForgotPassword)
    await handlers.request_password_reset(
        request.app[DB_POOL], request.app[IDENTITY], body.email, anonymous_context(request)
    )
    return json_response(
        Accepted(detail="If this address has an account, a reset link is on its way."),
        status=202,
    )


@routes.post("/auth/password/reset")
@operation(
    "Choose a password with the link of an invitation or reset email",
    request=SetPassword,
    responses={204: None, 410: None, 422: None},
    tags=("passwords",),
    public=True,
)
async def set_password(request: web.Request) -> web.Response:
    body = await read_json(request, SetPassword)
    await handlers.set_password_with_link(
        request.app[DB_POOL],
        request.app[IDENTITY].store,
        body.token,
        body.new_password,
        request.app[PASSWORD_RULES],
        anonymous_context(request),
    )
    return web.Response(status=204)


@routes.post("/auth/email/confirmation")
@operation(
    "Confirm a new email address with the link sent to it; it becomes the login",
    request=EmailConfirmation,
    responses={204: None, 409: None, 410: None},
    tags=("me",),
    public=True,
)
async def confirm_email(request: web.Request) -> web.Response:
    body = await read_json(request, EmailConfirmation)
    await handlers.confirm_email_change(
        request.app[DB_POOL], request.app[IDENTITY].store, body.token, anonymous_context(request)
    )
    return web.Response(status=204)


@routes.post("/auth/password/expired")
@operation(
    "Replace a password that must be changed, with the ticket sign-in gave; signs in",
    request=ReplaceExpiredPassword,
    responses={200: Tokens, 410: None, 422: None},
    tags=("passwords",),
    public=True,
)
async def replace_expired_password(request: web.Request) -> web.Response:
    body = await read_json(request, ReplaceExpiredPassword)
    used = await handlers.replace_expired_password(
        request.app[DB_POOL],
        request.app[IDENTITY].store,
        body.ticket,
        body.new_password,
        request.app[PASSWORD_RULES],
        anonymous_context(request),
    )
    tokens = await request.app[AUTHENTICATOR].open_session(
        used.user_id, remember_me=used.remember_me, client_ip=ip_of(request)
    )
    return json_response(tokens)


@routes.get("/auth/password-policy")
@operation(
    "The password policy, rule by rule, for forms to check as the user types",
    responses={200: PasswordChecklist},
    tags=("passwords",),
    public=True,
)
async def password_policy(request: web.Request) -> web.Response:
    policy = request.app[PASSWORD_RULES].policy
    return json_response(policy.checklist())


@routes.post("/auth/password-policy/check")
@operation(
    "Check a candidate password against every rule, including the common-password list",
    request=PasswordCandidate,
    responses={200: PolicyCheck},
    tags=("passwords",),
    public=True,
)
async def check_candidate(request: web.Request) -> web.Response:
    body = await read_json(request, PasswordCandidate)
    violations = check_password(
        request.app[PASSWORD_RULES].policy,
        body.password,
        personal=(body.email,) if body.email else (),
    )
    return json_response(
        PolicyCheck(
            acceptable=not violations,
            violations=[violation_json(violation) for violation in violations],
        )
    )


@routes.post("/auth/register")
@operation(
    "Create an account for my organisation; it waits for an administrator's activation",
    request=Register,
    responses={202: Accepted, 422: None},
    tags=("authentication",),
    public=True,
)
async def register(request: web.Request) -> web.Response:
    body = await read_json(request, Register)
    settings = request.app[IDENTITY_SETTINGS]
    await handlers.self_register(
        request.app[DB_POOL],
        request.app[IDENTITY].store,
        handlers.Registration(
            organisation_code=body.organisation_code,
            email=body.email,
            first_name=body.first_name,
            last_name=body.last_name,
            function=body.function,
            language=body.language,
            password=body.password,
        ),
        settings.pending_modules,
        request.app[PASSWORD_RULES],
        anonymous_context(request),
    )
    return json_response(
        Accepted(
            detail="Your account is created and waits for your administrator's activation."
            " If this address already had an account, sign in or reset your password."
        ),
        status=202,
    )
