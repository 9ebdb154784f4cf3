"""The signed-in user's own space: profile, organisations, password, personal data (seed 001)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, EmailStr

from services.identity import handlers, queries
from services.identity.api.auth import Password
from services.identity.api.common import (
    IDENTITY,
    IDENTITY_SETTINGS,
    PASSWORD_RULES,
    actor,
    context,
    json_response,
)
from services.identity.domain_types import Language, OptionalText, ShortText
from shared.auth.claims import Module
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.openapi import operation
from shared.http.principal import acting_principal, require_module
from shared.http.problems import Problem, read_json

routes = web.RouteTableDef()


class ChangePassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Password
    new_password: Password


class EmailChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Password
    new_email: EmailStr


class PersonalInformation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: ShortText
    last_name: ShortText
    function: OptionalText = ""
    phone: OptionalText = ""
    language: Language


class PersonalDataSpace(BaseModel):
    """Seed 001's personal-data page: the organisation, the vendor's introduction, the user's
    information, the DPO's address and the consents."""

    organisation: queries.OrganisationSummary | None
    introduction: str
    dpo_email: str
    me: queries.UserView
    consents: list[queries.ConsentView]


async def _me(request: web.Request) -> queries.UserView:
    principal = acting_principal(request)
    user = await queries.user(request.app[DB_POOL], actor(principal))
    if user is None:
        raise Problem(404, "Not found", "There is no such user.")
    return user


@routes.get("/me")
@operation(
    "My profile, my organisations and what I may do in each",
    responses={200: queries.UserView},
    tags=("me",),
)
async def me(request: web.Request) -> web.Response:
    return json_response(await _me(request))


@routes.put("/me")
@operation(
    "Change my own information",
    request=PersonalInformation,
    responses={200: queries.UserView},
    tags=("me",),
)
async def change_me(request: web.Request) -> web.Response:
    principal = acting_principal(request)
    body = await read_json(request, PersonalInformation)
    await handlers.run_user_command(
        request.app[DB_POOL],
        request.app[EVENT_STORE],
        actor(principal),
        lambda user: user.change_personal_information(
            first_name=body.first_name,
            last_name=body.last_name,
            function=body.function,
            phone=body.phone,
            language=body.language,
        ),
        context(request),
    )
    return json_response(await _me(request))


@routes.post("/me/email")
@operation(
    "Change my email address: a link is sent to the new one, which becomes my login once"
    " the link is opened",
    request=EmailChange,
    responses={202: None, 403: None, 422: None},
    tags=("me",),
)
async def change_email(request: web.Request) -> web.Response:
    principal = acting_principal(request)
    body = await read_json(request, EmailChange)
    await handlers.request_email_change(
        request.app[DB_POOL],
        request.app[IDENTITY],
        actor(principal),
        body.current_password,
        str(body.new_email),
        request.app[PASSWORD_RULES],
        context(request),
    )
    return web.Response(status=202)


@routes.post("/me/password")
@operation(
    "Change my password",
    request=ChangePassword,
    responses={204: None, 403: None, 422: None},
    tags=("me",),
)
async def change_password(request: web.Request) -> web.Response:
    principal = acting_principal(request)
    body = await read_json(request, ChangePassword)
    await handlers.change_own_password(
        request.app[DB_POOL],
        request.app[EVENT_STORE],
        actor(principal),
        body.current_password,
        body.new_password,
        request.app[PASSWORD_RULES],
        context(request),
    )
    return web.Response(status=204)


@routes.get("/me/personal-data")
@operation("My personal-data space", responses={200: PersonalDataSpace}, tags=("personal data",))
async def personal_data(request: web.Request) -> web.Response:
    principal = acting_principal(request)
    require_module(principal, Module.PERSONAL_DATA)
    settings = request.app[IDENTITY_SETTINGS]
    pool = request.app[DB_POOL]
    organisation = None
    if principal.organisation_id is not None:
        organisation = await queries.organisation_summary(pool, principal.organisation_id)
    return json_response(
        PersonalDataSpace(
            organisation=organisation,
            introduction=settings.personal_data_intro,
            dpo_email=settings.dpo_email,
            me=await _me(request),
            consents=await queries.consents(pool, actor(principal), settings.consent_purposes),
        )
    )


@routes.put("/me/consents/{purpose}")
@operation("Give a consent", responses={204: None, 404: None}, tags=("personal data",))
async def give_consent(request: web.Request) -> web.Response:
    return await _consent(request, give=True)


@routes.delete("/me/consents/{purpose}")
@operation("Withdraw a consent", responses={204: None, 404: None}, tags=("personal data",))
async def withdraw_consent(request: web.Request) -> web.Response:
    return await _consent(request, give=False)


async def _consent(request: web.Request, *, give: bool) -> web.Response:
    principal = acting_principal(request)
    require_module(principal, Module.PERSONAL_DATA)
    purpose = request.match_info["purpose"]
    if purpose not in request.app[IDENTITY_SETTINGS].consent_purposes:
        raise Problem(404, "Not found", "There is no such consent.")
    await handlers.run_user_command(
        request.app[DB_POOL],
        request.app[EVENT_STORE],
        actor(principal),
        lambda user: user.give_consent(purpose) if give else user.withdraw_consent(purpose),
        context(request),
    )
    return web.Response(status=204)


@routes.post("/me/erasure-request")
@operation(
    "Ask for my personal data to be erased",
    responses={202: None},
    tags=("personal data",),
)
async def request_erasure(request: web.Request) -> web.Response:
    principal = acting_principal(request)
    require_module(principal, Module.PERSONAL_DATA)
    await handlers.run_user_command(
        request.app[DB_POOL],
        request.app[EVENT_STORE],
        actor(principal),
        lambda user: user.request_erasure(),
        context(request),
    )
    return web.Response(status=202)


@routes.get("/me/export")
@operation(
    "Everything held about me, as JSON (with the history of my account)",
    responses={200: None},
    tags=("personal data",),
)
async def export(request: web.Request) -> web.Response:
    principal = acting_principal(request)
    require_module(principal, Module.PERSONAL_DATA)
    user_id = actor(principal)
    async with request.app[DB_POOL].acquire() as connection:
        me_now = await queries.user(connection, user_id)
        history = await queries.account_history(connection, user_id)
        consents = await queries.consents(
            connection, user_id, request.app[IDENTITY_SETTINGS].consent_purposes
        )
    if me_now is None:
        raise Problem(404, "Not found", "There is no such user.")
    document = {
        "user": me_now.model_dump(mode="json"),
        "consents": [consent.model_dump(mode="json") for consent in consents],
        "history": [
            {"type": entry.type, "at": entry.at.isoformat(), "data": _without_secrets(entry.data)}
            for entry in history
        ],
    }
    return web.json_response(
        document,
        headers={"Content-Disposition": f'attachment; filename="guichet-{user_id}.json"'},
    )


def _without_secrets(data: dict[str, object]) -> dict[str, object]:
    """Sealed one-time links are no personal data and must not leave the service."""
    return {key: value for key, value in data.items() if key not in {"invitation", "reset"}}
