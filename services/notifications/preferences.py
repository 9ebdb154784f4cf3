"""Each user's choice of which notifications reach them by email."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import asyncpg

from services.notifications.categories import MANDATORY, Category, category_of


async def email_choices(connection: asyncpg.Connection, user_id: uuid.UUID) -> dict[Category, bool]:
    """Every category, on unless the user turned it off."""
    stored = {
        row["category"]: row["by_email"]
        for row in await connection.fetch(
            "SELECT category, by_email FROM email_preferences WHERE user_id = $1", user_id
        )
    }
    return {
        category: category in MANDATORY or stored.get(category.value, True) for category in Category
    }


async def replace_email_choices(
    connection: asyncpg.Connection, user_id: uuid.UUID, choices: Mapping[Category, bool]
) -> None:
    """The user's whole set of choices: a category not named is on again. Mandatory ones
    are not stored (the caller refuses turning them off)."""
    async with connection.transaction():
        await connection.execute("DELETE FROM email_preferences WHERE user_id = $1", user_id)
        await connection.executemany(
            "INSERT INTO email_preferences (user_id, category, by_email) VALUES ($1, $2, $3)",
            [
                (user_id, category.value, wanted)
                for category, wanted in choices.items()
                if category not in MANDATORY
            ],
        )


async def wants_email(connection: asyncpg.Connection, user_id: uuid.UUID, template: str) -> bool:
    category = category_of(template)
    if category in MANDATORY:
        return True
    wanted = await connection.fetchval(
        "SELECT by_email FROM email_preferences WHERE user_id = $1 AND category = $2",
        user_id,
        category.value,
    )
    return wanted is not False
