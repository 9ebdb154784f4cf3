"""The ERP's bulk import: models (by code), sites, contracts and assets (by the ERP's own
reference), created when new, brought up to date when known, untouched when unchanged, so
sending the same batch twice changes nothing the second time.

All or nothing: the batch runs in one transaction; every refused item is reported (its
field, as `assets.3.site_reference`) and none is applied. Items refer to each other by the
ERP's references, in this batch or an earlier one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Literal

import asyncpg
from pydantic import BaseModel, Field

from services.fleet.bodies import (
    ConsumableItem,
    ContractBody,
    ModelBody,
    SiteBody,
    Strict,
)
from services.fleet.domain import FleetRuleBroken, InvalidField
from services.fleet.domain_types import (
    AssetStatus,
    ErpReference,
    ModelCode,
    OptionalText,
    ShortText,
)
from services.fleet.handlers import assets, catalogue
from services.fleet.handlers.common import AlreadyTaken, InvalidReference, organisation_by_code
from shared.eventstore import EventContext, EventStore

MAX_ITEMS = 1000
Outcome = Literal["created", "updated", "unchanged"]


class ModelItem(ModelBody):
    consumables: list[ConsumableItem] | None = Field(
        default=None,
        max_length=200,
        description="The model's whole catalogue: references not named are withdrawn."
        " Omitted: the catalogue is left as it is",
    )


class SiteItem(SiteBody):
    erp_reference: ErpReference
    organisation_code: ShortText


class ContractItem(ContractBody):
    erp_reference: ErpReference
    organisation_code: ShortText
    ended_on: dt.date | None = Field(
        default=None, description="Set once the contract is terminated: it ends it"
    )


class AssetItem(Strict):
    erp_reference: ErpReference
    organisation_code: ShortText
    model_code: ModelCode
    product_reference: ShortText | None = None
    serial_number: ShortText
    site_reference: ErpReference
    location: OptionalText = ""
    status: AssetStatus = AssetStatus.IN_SERVICE
    installed_on: dt.date | None = None
    contract_reference: ErpReference | None = None


class ImportBatch(Strict):
    models: list[ModelItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    sites: list[SiteItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    contracts: list[ContractItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    assets: list[AssetItem] = Field(default_factory=list, max_length=MAX_ITEMS)


class ImportedItem(BaseModel):
    kind: Literal["model", "site", "contract", "asset"]
    reference: str
    """The model's code, or the ERP reference of the site, contract or asset."""
    id: uuid.UUID
    outcome: Outcome


class ImportReport(BaseModel):
    created: int
    updated: int
    unchanged: int
    items: list[ImportedItem]


class ItemRefused(Exception):
    def __init__(self, field: str, message: str, code: str) -> None:
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


class BatchRefused(Exception):
    """Items of the batch were refused; nothing of it was applied."""

    def __init__(self, errors: list[dict[str, str | None]]) -> None:
        super().__init__(f"{len(errors)} item(s) refused")
        self.errors = errors


class _Import:
    def __init__(
        self, connection: asyncpg.Connection, store: EventStore, context: EventContext
    ) -> None:
        self.connection, self.store, self.context = connection, store, context
        self.items: list[ImportedItem] = []
        self.errors: list[dict[str, str | None]] = []

    async def item(
        self,
        kind: str,
        index: int,
        reference: str,
        work: Callable[[], Awaitable[tuple[uuid.UUID, Outcome]]],
    ) -> None:
        where = f"{kind}s.{index}"
        try:
            # A savepoint per item: a refused item leaves the others' work (and the
            # transaction) intact, so every refusal of the batch is reported at once.
            async with self.connection.transaction():
                id_, outcome = await work()
        except (InvalidReference, AlreadyTaken, InvalidField) as refused:
            code = getattr(
                refused, "code", "reference" if isinstance(refused, InvalidReference) else "taken"
            )
            self.errors.append(
                {"field": f"{where}.{refused.field}", "message": refused.message, "code": code}
            )
        except ItemRefused as refused:
            self.errors.append(
                {
                    "field": f"{where}.{refused.field}",
                    "message": refused.message,
                    "code": refused.code,
                }
            )
        except FleetRuleBroken as refused:
            self.errors.append(
                {"field": where, "message": str(refused).capitalize() + ".", "code": "conflict"}
            )
        else:
            self.items.append(ImportedItem(kind=kind, reference=reference, id=id_, outcome=outcome))  # type: ignore[arg-type]

    async def organisation(self, code: str) -> uuid.UUID:
        organisation_id = await organisation_by_code(self.connection, code)
        if organisation_id is None:
            raise ItemRefused(
                "organisation_code", f"No organisation has the code {code}.", "reference"
            )
        return organisation_id

    async def known(self, table: str, reference: str) -> asyncpg.Record | None:
        key = "code" if table == "asset_models" else "erp_reference"
        return await self.connection.fetchrow(
            f"SELECT * FROM {table} WHERE {key} = $1",  # table and key are ours, never input
            reference,
        )

    def same_organisation(self, row: asyncpg.Record, organisation_id: uuid.UUID) -> None:
        if row["organisation_id"] != organisation_id:
            raise ItemRefused(
                "organisation_code",
                "This reference belongs to another organisation; it cannot move.",
                "immutable",
            )


async def run_import(
    connection: asyncpg.Connection, store: EventStore, context: EventContext, batch: ImportBatch
) -> ImportReport:
    """Apply the batch in the caller's transaction, or raise `BatchRefused` naming every
    refused item (the caller's transaction must then be rolled back)."""
    run = _Import(connection, store, context)
    for index, model in enumerate(batch.models):
        await run.item("model", index, model.code, lambda model=model: _model(run, model))
    for index, site in enumerate(batch.sites):
        await run.item("site", index, site.erp_reference, lambda site=site: _site(run, site))
    for index, contract in enumerate(batch.contracts):
        await run.item(
            "contract", index, contract.erp_reference, lambda c=contract: _contract(run, c)
        )
    for index, asset in enumerate(batch.assets):
        await run.item("asset", index, asset.erp_reference, lambda a=asset: _asset(run, a))
    if run.errors:
        raise BatchRefused(run.errors)
    counts = {
        outcome: sum(item.outcome == outcome for item in run.items)
        for outcome in ("created", "updated", "unchanged")
    }
    return ImportReport(**counts, items=run.items)


async def _model(run: _Import, item: ModelItem) -> tuple[uuid.UUID, Outcome]:
    known = await run.known("asset_models", item.code)
    consumables = [c.value() for c in item.consumables] if item.consumables is not None else None
    if known is None:
        model_id = await catalogue.define_model(
            run.connection, run.store, run.context, item.fields()
        )
        if consumables:
            await catalogue.change_model(
                run.connection, run.store, run.context, model_id, item.fields(), consumables
            )
        return model_id, "created"
    changed = await catalogue.change_model(
        run.connection, run.store, run.context, known["model_id"], item.fields(), consumables
    )
    return known["model_id"], "updated" if changed else "unchanged"


async def _site(run: _Import, item: SiteItem) -> tuple[uuid.UUID, Outcome]:
    organisation_id = await run.organisation(item.organisation_code)
    known = await run.known("sites", item.erp_reference)
    if known is None:
        fields = item.fields()
        site_id = await catalogue.register_site(
            run.connection,
            run.store,
            run.context,
            organisation_id=organisation_id,
            fields=fields,
            erp_reference=item.erp_reference,
        )
        return site_id, "created"
    run.same_organisation(known, organisation_id)
    # The ERP knows nothing of the portal's branches: the site keeps the one it has.
    changed = await catalogue.update_site(
        run.connection, run.store, run.context, known["site_id"], item.fields(known["branch_id"])
    )
    return known["site_id"], "updated" if changed else "unchanged"


async def _contract(run: _Import, item: ContractItem) -> tuple[uuid.UUID, Outcome]:
    organisation_id = await run.organisation(item.organisation_code)
    known = await run.known("contracts", item.erp_reference)
    if known is None:
        contract_id = await catalogue.register_contract(
            run.connection,
            run.store,
            run.context,
            organisation_id=organisation_id,
            fields=item.contract_fields(),
            erp_reference=item.erp_reference,
        )
        outcome: Outcome = "created"
    else:
        run.same_organisation(known, organisation_id)
        contract_id = known["contract_id"]
        changed = known["ended_on"] is None and await catalogue.change_contract(
            run.connection, run.store, run.context, contract_id, item.contract_fields()
        )
        outcome = "updated" if changed else "unchanged"
    if item.ended_on is not None and (known is None or known["ended_on"] is None):
        await catalogue.end_contract(
            run.connection, run.store, run.context, contract_id, ended_on=item.ended_on, reason=None
        )
        outcome = "created" if known is None else "updated"
    return contract_id, outcome


async def _asset(run: _Import, item: AssetItem) -> tuple[uuid.UUID, Outcome]:
    organisation_id = await run.organisation(item.organisation_code)
    model = await run.known("asset_models", item.model_code)
    if model is None:
        raise ItemRefused("model_code", f"No model has the code {item.model_code}.", "reference")
    site = await run.known("sites", item.site_reference)
    if site is None or site["organisation_id"] != organisation_id:
        raise ItemRefused(
            "site_reference", "No site of the organisation has this reference.", "reference"
        )
    contract_id = None
    if item.contract_reference is not None:
        contract = await run.known("contracts", item.contract_reference)
        if contract is None or contract["organisation_id"] != organisation_id:
            raise ItemRefused(
                "contract_reference",
                "No contract of the organisation has this reference.",
                "reference",
            )
        contract_id = contract["contract_id"]
    known = await run.known("assets", item.erp_reference)
    if known is None:
        fields = assets.AssetFields(
            model_id=model["model_id"],
            product_reference=item.product_reference,
            serial_number=item.serial_number,
            site_id=site["site_id"],
            location=item.location,
            status=item.status,
            installed_on=item.installed_on,
            contract_id=contract_id,
        )
        asset_id = await assets.register_asset(
            run.connection,
            run.store,
            run.context,
            organisation_id=organisation_id,
            fields=fields,
            erp_reference=item.erp_reference,
        )
        return asset_id, "created"
    run.same_organisation(known, organisation_id)
    if (known["model_id"], known["serial_number"]) != (model["model_id"], item.serial_number):
        raise ItemRefused(
            "serial_number",
            "An asset's model and serial number do not change; register the new machine.",
            "immutable",
        )
    placement = assets.Placement(site["site_id"], item.location, item.status, contract_id)
    changed = await assets.place(
        run.connection, run.store, run.context, known["asset_id"], placement
    )
    return known["asset_id"], "updated" if changed else "unchanged"
