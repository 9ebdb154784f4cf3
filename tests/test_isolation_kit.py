"""The isolation kit fails when it should: a table out of step with the API, a route that
answers B's data (as JSON, as CSV or inside a spreadsheet), one that changes it, one that
refuses for the wrong reason; and a multipart body reaches its route."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.isolation import (
    ANONYMOUS,
    IsolationCase,
    Public,
    Tenants,
    assert_isolated,
    assert_table_matches,
)
from tests.support import serving

B_NOTE = str(uuid.uuid4())
DOCUMENT = {
    "openapi": "3.1.0",
    "paths": {
        "/health": {"get": {"security": []}},
        "/notes/{note_id}": {"get": {"security": [{"bearer": []}]}},
        "/notes": {"post": {"security": [{"bearer": []}]}},
    },
}


def _notes_app(notes: dict[str, str]) -> web.Application:
    """A deliberately careless service: it checks no organisation at all."""

    async def read(request: web.Request) -> web.Response:
        note = notes.get(request.match_info["note_id"])
        if note is None:
            return web.json_response({"status": 404}, status=404)
        return web.json_response({"text": note})

    async def write(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer b":
            return web.json_response({"status": 403}, status=403)
        notes[B_NOTE] = "changed"
        return web.json_response({}, status=201)

    async def wipe(request: web.Request) -> web.Response:
        notes.clear()  # refuses, but only after doing the damage
        return web.json_response({"status": 403, "instance": request.path}, status=403)

    async def export_csv(_: web.Request) -> web.Response:
        return web.Response(text="\n".join(notes.values()), content_type="text/csv")

    async def export_xlsx(_: web.Request) -> web.Response:
        workbook = io.BytesIO()
        with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/sharedStrings.xml", "".join(notes.values()))
        return web.Response(body=workbook.getvalue(), content_type="application/octet-stream")

    async def upload(request: web.Request) -> web.Response:
        if request.content_type != "multipart/form-data":
            return web.json_response({"status": 415}, status=415)
        form = await request.post()
        upload = form["file"]
        assert isinstance(upload, web.FileField)
        return web.json_response({"size": len(upload.file.read())}, status=201)

    app = web.Application()
    app.router.add_get("/notes.csv", export_csv)
    app.router.add_get("/notes.xlsx", export_xlsx)
    app.router.add_post("/uploads", upload)
    app.router.add_get("/notes/{note_id}", read)
    app.router.add_post("/notes", write)
    app.router.add_delete("/notes/{note_id}", wipe)
    return app


@pytest.fixture
async def tenants() -> AsyncIterator[Tenants]:
    notes = {B_NOTE: "Zephyr's secret"}

    async def snapshot() -> dict[str, str]:
        return dict(notes)

    async with serving(_notes_app(notes)) as url, aiohttp.ClientSession() as session:
        yield Tenants(
            url=url,
            session=session,
            tokens={"a": "a", "b": "b"},
            ids={"note": B_NOTE},
            foreign=frozenset({"Zephyr"}),
            snapshot=snapshot,
        )


def test_the_table_names_missing_stale_and_wrongly_public_operations() -> None:
    table = (
        Public("GET /notes/{note_id}", "wrongly declared public"),
        IsolationCase("DELETE /notes/{note_id}", answers={"a": 404}, ids={"note_id": "note"}),
    )
    with pytest.raises(AssertionError) as failure:
        assert_table_matches(DOCUMENT, table)
    message = str(failure.value)
    assert "GET /notes/{note_id}: declared public, but it needs a token" in message
    assert "DELETE /notes/{note_id}: an entry, but no such operation any more" in message
    assert "GET /health: no isolation case" in message
    assert "POST /notes: no isolation case" in message


def test_a_case_must_fill_its_path_and_justify_a_success() -> None:
    table = (
        Public("GET /health", "liveness"),
        IsolationCase("GET /notes/{note_id}", answers={"a": 404}),
        IsolationCase("POST /notes", answers={"a": 201}),
    )
    with pytest.raises(AssertionError) as failure:
        assert_table_matches(DOCUMENT, table)
    message = str(failure.value)
    assert "GET /notes/{note_id}: path parameters ['note_id'] but filled []" in message
    assert "POST /notes: a caller of A succeeds, but own_scope does not say why" in message


async def test_a_route_that_shows_b_s_data_fails_with_what_it_showed(tenants: Tenants) -> None:
    case = IsolationCase("GET /notes/{note_id}", answers={"a": 404}, ids={"note_id": "note"})
    with pytest.raises(AssertionError) as failure:
        await assert_isolated(tenants, [case])
    assert "a with B's ids: 200, expected 404" in str(failure.value)

    allowed = IsolationCase(
        "GET /notes/{note_id}", answers={"a": 200}, ids={"note_id": "note"}, own_scope="wrongly"
    )
    with pytest.raises(AssertionError) as failure:
        await assert_isolated(tenants, [allowed])
    assert "the answer shows B's ['Zephyr']" in str(failure.value)


def test_a_second_case_of_an_operation_needs_its_own_variant() -> None:
    note = IsolationCase("GET /notes/{note_id}", answers={"a": 404}, ids={"note_id": "note"})
    rest = (Public("GET /health", "liveness"), IsolationCase("POST /notes", answers={"a": 403}))
    with pytest.raises(AssertionError) as failure:
        assert_table_matches(DOCUMENT, (*rest, note, note))
    assert "GET /notes/{note_id}: two entries" in str(failure.value)

    archived = IsolationCase(
        "GET /notes/{note_id}", answers={"a": 404}, ids={"note_id": "note"}, variant="archived"
    )
    assert_table_matches(DOCUMENT, (*rest, note, archived))


async def test_b_s_data_in_a_csv_or_a_spreadsheet_answer_fails(tenants: Tenants) -> None:
    for export in ("GET /notes.csv", "GET /notes.xlsx"):
        case = IsolationCase(export, answers={"a": 200}, own_scope="wrongly")
        with pytest.raises(AssertionError) as failure:
            await assert_isolated(tenants, [case])
        assert "the answer shows B's ['Zephyr']" in str(failure.value)


async def test_a_multipart_body_is_sent_as_multipart(tenants: Tenants) -> None:
    def form(_: Any) -> aiohttp.FormData:
        built = aiohttp.FormData()
        built.add_field("file", b"%PDF-1.7", filename="a.pdf", content_type="application/pdf")
        return built

    case = IsolationCase("POST /uploads", answers={"a": 201}, body=form, own_scope="a's file")
    await assert_isolated(tenants, [case])


async def test_a_refusal_after_the_damage_fails(tenants: Tenants) -> None:
    case = IsolationCase(
        "DELETE /notes/{note_id}", answers={ANONYMOUS: 403}, ids={"note_id": "note"}
    )
    with pytest.raises(AssertionError) as failure:
        await assert_isolated(tenants, [case])
    assert "B's data changed" in str(failure.value)


async def test_ids_that_are_not_b_s_and_a_broken_control_fail(tenants: Tenants) -> None:
    not_b = IsolationCase("GET /notes/{note_id}", answers={"a": 404}, ids={"note_id": "other"})
    tenants.ids = {**tenants.ids, "other": str(uuid.uuid4())}
    with pytest.raises(AssertionError) as failure:
        await assert_isolated(tenants, [not_b])
    assert "not B's real things" in str(failure.value)

    refused_for_all = IsolationCase(
        "POST /notes", answers={"a": 403}, body=_empty, control=(ANONYMOUS, 201)
    )
    with pytest.raises(AssertionError) as failure:
        await assert_isolated(tenants, [refused_for_all])
    assert "control: anonymous with B's ids got 403, expected 201" in str(failure.value)


def _empty(_: Any) -> dict[str, Any]:
    return {}
