"""`/me/notification-preferences`: which notifications the signed-in user gets by email."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.notifications import preferences
from services.notifications.api.common import acting_user, json_response
from services.notifications.categories import MANDATORY, Category
from shared.http.keys import DB_POOL
from shared.http.openapi import operation
from shared.http.principal import acting_principal
from shared.http.problems import Problem, read_json

routes = web.RouteTableDef()


class CategoryChoice(BaseModel):
    category: Category
    email: bool = Field(description="Sent by email")
    mandatory: bool = Field(description="Cannot be turned off (security)")


class NotificationPreferences(BaseModel):
    categories: list[CategoryChoice]


class NotificationPreferencesChange(BaseModel):
    """The whole set of choices: a category not named is on."""

    model_config = ConfigDict(extra="forbid")

    email: dict[Category, bool] = Field(
        description="Category → sent by email; security cannot be false"
    )


def _view(choices: dict[Category, bool]) -> NotificationPreferences:
    return NotificationPreferences(
        categories=[
            CategoryChoice(category=category, email=wanted, mandatory=category in MANDATORY)
            for category, wanted in choices.items()
        ]
    )


@routes.get("/me/notification-preferences")
@operation(
    "Which notifications I get by email",
    responses={200: NotificationPreferences},
    tags=("notifications",),
)
async def get_preferences(request: web.Request) -> web.Response:
    user_id = acting_user(acting_principal(request))
    async with request.app[DB_POOL].acquire() as connection:
        choices = await preferences.email_choices(connection, user_id)
    return json_response(_view(choices))


@routes.put("/me/notification-preferences")
@operation(
    "Choose which notifications I get by email (security ones cannot be turned off)",
    request=NotificationPreferencesChange,
    responses={200: NotificationPreferences, 422: None},
    tags=("notifications",),
)
async def put_preferences(request: web.Request) -> web.Response:
    user_id = acting_user(acting_principal(request))
    change = await read_json(request, NotificationPreferencesChange)
    refused = sorted(c.value for c, wanted in change.email.items() if c in MANDATORY and not wanted)
    if refused:
        raise Problem(
            422,
            "Invalid request",
            "Security notifications cannot be turned off.",
            type_="https://guichet.dev/problems/validation",
            errors=[
                {"field": f"email.{c}", "message": "cannot be turned off", "code": "mandatory"}
                for c in refused
            ],
        )
    async with request.app[DB_POOL].acquire() as connection:
        await preferences.replace_email_choices(connection, user_id, change.email)
        choices = await preferences.email_choices(connection, user_id)
    return json_response(_view(choices))
