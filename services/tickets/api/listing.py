"""The list's remembered columns and its exports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.tickets import export
from services.tickets.api.common import customer
from services.tickets.queries.columns import Column, choose_columns, chosen_columns
from services.tickets.queries.listing import TicketFilters, every_ticket
from services.tickets.queries.views import TicketSummary
from shared.http.keys import DB_POOL
from shared.http.openapi import operation
from shared.http.problems import read_json, read_query

routes = web.RouteTableDef()
TAGS = ("tickets",)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Columns(BaseModel):
    model_config = ConfigDict(extra="forbid")

    columns: Annotated[list[Column], Field(min_length=1, max_length=len(Column))]


@routes.get("/tickets/columns")
@operation("The list's columns the user chose", responses={200: Columns}, tags=TAGS)
async def get_columns(request: web.Request) -> web.Response:
    actor = customer(request)
    columns = await chosen_columns(request.app[DB_POOL], actor.user_id)
    return web.json_response(Columns(columns=columns).model_dump(mode="json"))


@routes.put("/tickets/columns")
@operation("Choose the list's columns", request=Columns, responses={200: Columns}, tags=TAGS)
async def put_columns(request: web.Request) -> web.Response:
    actor = customer(request)
    body = await read_json(request, Columns)
    columns = list(dict.fromkeys(body.columns))
    await choose_columns(request.app[DB_POOL], actor.user_id, columns)
    return web.json_response(Columns(columns=columns).model_dump(mode="json"))


async def _rows_and_columns(
    request: web.Request,
) -> tuple[AsyncIterator[TicketSummary], list[Column]]:
    actor = customer(request)
    filters = read_query(request, TicketFilters)
    columns = await chosen_columns(request.app[DB_POOL], actor.user_id)
    rows = every_ticket(
        request.app[DB_POOL],
        reader=actor.user_id,
        organisation_id=actor.organisation_id,
        filters=filters,
        maximum=export.MAX_ROWS,
    )
    return rows, columns


def _disposition(extension: str) -> str:
    return f'attachment; filename="tickets.{extension}"'


@routes.get("/tickets/export.csv")
@operation(
    "Export the filtered list as CSV",
    query=TicketFilters,
    tags=TAGS,
    description="The user's chosen columns, every ticket of the filtered list (up to"
    " 100,000), in the list's order.",
    responses={200: None},
)
async def export_csv(request: web.Request) -> web.StreamResponse:
    rows, columns = await _rows_and_columns(request)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": _disposition("csv"),
            "X-Content-Type-Options": "nosniff",
        }
    )
    await response.prepare(request)
    async for chunk in export.csv_chunks(rows, columns):
        await response.write(chunk)
    await response.write_eof()
    return response


@routes.get("/tickets/export.xlsx")
@operation(
    "Export the filtered list as an Excel workbook",
    query=TicketFilters,
    tags=TAGS,
    description="The same rows as the CSV export, in one sheet.",
    responses={200: None},
)
async def export_xlsx(request: web.Request) -> web.StreamResponse:
    rows, columns = await _rows_and_columns(request)
    workbook = await export.xlsx_file(rows, columns)
    try:
        response = web.StreamResponse(
            headers={
                "Content-Type": XLSX,
                "Content-Disposition": _disposition("xlsx"),
                "X-Content-Type-Options": "nosniff",
            }
        )
        await response.prepare(request)
        while chunk := workbook.read(64 * 1024):
            await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        workbook.close()
