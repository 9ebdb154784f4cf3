"""Sites, contracts and the catalogue of models, as the API shows them."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg

from services.fleet.queries.views import ConsumableView, ContractView, ModelView, SiteView

_SITES = """
SELECT s.site_id, s.organisation_id, s.name, s.address, s.branch_id, s.erp_reference,
       (SELECT count(*) FROM assets a WHERE a.site_id = s.site_id AND a.status <> 'withdrawn')
           AS assets
FROM sites s
"""
_CONTRACTS = """
SELECT c.contract_id, c.organisation_id, c.number, c.contract_type, c.starts_on, c.ends_on,
       c.ended_on, c.service_level, c.covers_support, c.covers_interventions,
       c.reading_every_days, c.erp_reference,
       (c.starts_on <= $1 AND (c.ends_on IS NULL OR c.ends_on >= $1)
        AND (c.ended_on IS NULL OR c.ended_on > $1)) AS in_force,
       (SELECT count(*) FROM assets a
        WHERE a.contract_id = c.contract_id AND a.status <> 'withdrawn') AS assets
FROM contracts c
"""


async def sites(
    connection: asyncpg.Connection,
    organisation_id: uuid.UUID | None,
    branch_id: uuid.UUID | None = None,
) -> list[SiteView]:
    """An organisation's sites (None: every one's), those of one branch when given."""
    rows = await connection.fetch(
        _SITES + " WHERE ($1::uuid IS NULL OR s.organisation_id = $1)"
        " AND ($2::uuid IS NULL OR s.branch_id = $2) ORDER BY s.name, s.site_id",
        organisation_id,
        branch_id,
    )
    return [SiteView.model_validate(dict(row)) for row in rows]


async def site(connection: asyncpg.Connection, site_id: uuid.UUID) -> SiteView | None:
    row = await connection.fetchrow(_SITES + " WHERE s.site_id = $1", site_id)
    return SiteView.model_validate(dict(row)) if row else None


async def contracts(
    connection: asyncpg.Connection,
    organisation_id: uuid.UUID | None,
    *,
    today: dt.date,
    branch_id: uuid.UUID | None = None,
) -> list[ContractView]:
    """An organisation's contracts (None: every one's); with a branch, those covering an
    asset at one of its sites."""
    rows = await connection.fetch(
        _CONTRACTS + " WHERE ($2::uuid IS NULL OR c.organisation_id = $2)"
        " AND ($3::uuid IS NULL OR EXISTS (SELECT FROM assets a JOIN sites s USING (site_id)"
        "   WHERE a.contract_id = c.contract_id AND s.branch_id = $3))"
        " ORDER BY c.number, c.contract_id",
        today,
        organisation_id,
        branch_id,
    )
    return [ContractView.model_validate(dict(row)) for row in rows]


async def contract_view(
    connection: asyncpg.Connection, contract_id: uuid.UUID, *, today: dt.date
) -> ContractView | None:
    row = await connection.fetchrow(_CONTRACTS + " WHERE c.contract_id = $2", today, contract_id)
    return ContractView.model_validate(dict(row)) if row else None


async def models(
    connection: asyncpg.Connection, model_id: uuid.UUID | None = None
) -> list[ModelView]:
    rows = await connection.fetch(
        "SELECT m.model_id, m.code, m.name, m.manufacturer, m.counters,"
        " coalesce(json_agg(json_build_object('reference', k.reference, 'description',"
        " k.description, 'max_quantity_per_order', k.max_quantity_per_order)"
        " ORDER BY k.reference) FILTER (WHERE k.reference IS NOT NULL), '[]') AS consumables"
        " FROM asset_models m LEFT JOIN consumables k USING (model_id)"
        " WHERE $1::uuid IS NULL OR m.model_id = $1"
        " GROUP BY m.model_id ORDER BY m.name, m.model_id",
        model_id,
    )
    return [ModelView.model_validate(dict(row)) for row in rows]


async def consumables_of_asset(
    connection: asyncpg.Connection, asset_id: uuid.UUID
) -> list[ConsumableView]:
    rows = await connection.fetch(
        "SELECT k.reference, k.description, k.max_quantity_per_order"
        " FROM assets a JOIN consumables k USING (model_id) WHERE a.asset_id = $1"
        " ORDER BY k.reference",
        asset_id,
    )
    return [ConsumableView.model_validate(dict(row)) for row in rows]
