"""Billing's copy of identity's organisations: the ERP names a customer by its code, and a
rendered invoice shows the organisation's name and billing address in its language."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg
from babel import Locale, UnknownLocaleError

from services.identity.domain_types import Address


@dataclass(frozen=True)
class Organisation:
    organisation_id: uuid.UUID
    code: str
    legal_name: str
    language: str
    billing_address: tuple[str, ...]


def address_lines(address: Address | None, language: str) -> list[str]:
    """The address as printed on an invoice, the country named in the organisation's
    language ("France", not "FR")."""
    if address is None:
        return []
    try:
        country = Locale.parse(language).territories.get(address.country, address.country)
    except (ValueError, UnknownLocaleError):
        country = address.country
    lines = [address.line1, address.line2, f"{address.postal_code} {address.city}".strip()]
    return [line for line in [*lines, country] if line]


async def save_organisation(
    connection: asyncpg.Connection,
    *,
    organisation_id: uuid.UUID,
    code: str | None,
    legal_name: str,
    language: str,
    billing_address: list[str],
) -> None:
    """Insert or refresh; `code` None keeps the known one (details changes do not carry it)."""
    if code is None:
        await connection.execute(
            "UPDATE organisations SET legal_name = $2, language = $3, billing_address = $4"
            " WHERE organisation_id = $1",
            organisation_id,
            legal_name,
            language,
            billing_address,
        )
        return
    await connection.execute(
        "INSERT INTO organisations (organisation_id, code, legal_name, language, billing_address)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organisation_id) DO UPDATE SET"
        " code = excluded.code, legal_name = excluded.legal_name,"
        " language = excluded.language, billing_address = excluded.billing_address",
        organisation_id,
        code,
        legal_name,
        language,
        billing_address,
    )


async def organisation_by_code(
    connection: asyncpg.Connection | asyncpg.Pool, code: str
) -> Organisation | None:
    row = await connection.fetchrow(
        "SELECT organisation_id, code, legal_name, language, billing_address FROM organisations"
        " WHERE code = $1",
        code,
    )
    if row is None:
        return None
    return Organisation(**{**dict(row), "billing_address": tuple(row["billing_address"])})
