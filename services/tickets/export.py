"""The filtered list as a spreadsheet (.xlsx, written row by row in constant memory) or CSV
(streamed as it is read)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import AsyncIterator, Sequence
from enum import Enum
from typing import Any

import xlsxwriter

from services.tickets.queries.columns import Column
from services.tickets.queries.views import TicketSummary

# Past this, an export is cut: it is a list for people, not a backup.
MAX_ROWS = 100_000
HEADERS = {
    Column.NUMBER: "Number",
    Column.TITLE: "Title",
    Column.STATUS: "Status",
    Column.PRIORITY: "Priority",
    Column.TICKET_TYPE: "Type",
    Column.NATURE: "Nature",
    Column.SEVERITY: "Severity",
    Column.DEPARTMENT: "Department",
    Column.PRODUCT: "Product",
    Column.SITE: "Site",
    Column.REQUESTER: "Requester",
    Column.REFERENCE_1: "Reference 1",
    Column.REFERENCE_2: "Reference 2",
    Column.OPENED_AT: "Opened at",
    Column.UPDATED_AT: "Updated at",
    Column.UNREAD_MESSAGES: "Unread messages",
    Column.FIRST_RESPONSE_DUE_AT: "First response due",
    Column.RESOLUTION_DUE_AT: "Resolution due",
}


def cell(ticket: TicketSummary, column: Column) -> Any:
    value = getattr(ticket, column.value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None)  # spreadsheets have no zones
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    text = str(value)
    # A cell starting like a formula is data, never a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def csv_chunks(
    tickets: AsyncIterator[TicketSummary], columns: Sequence[Column]
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # so spreadsheet programs read UTF-8
    writer.writerow([HEADERS[c] for c in columns])
    async for ticket in tickets:
        writer.writerow([_text(cell(ticket, c)) for c in columns])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


async def xlsx_file(
    tickets: AsyncIterator[TicketSummary], columns: Sequence[Column]
) -> tempfile.SpooledTemporaryFile[bytes]:
    """The workbook in a spooled file (memory for small lists, disk for big ones)."""
    output: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - the caller closes it
        max_size=8 * 1024 * 1024
    )
    workbook = xlsxwriter.Workbook(
        output, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet("Tickets")
    bold = workbook.add_format({"bold": True})
    dates = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, [HEADERS[c] for c in columns], bold)
    row = 1
    async for ticket in tickets:
        for index, column in enumerate(columns):
            value = cell(ticket, column)
            if isinstance(value, dt.datetime):
                sheet.write_datetime(row, index, value, dates)
            elif value is None:
                sheet.write_blank(row, index, None)
            elif isinstance(value, str):
                sheet.write_string(row, index, value)
            else:
                sheet.write(row, index, value)
        row += 1
    workbook.close()
    output.seek(0)
    return output
