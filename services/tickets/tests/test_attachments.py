"""Attachments: sniffed types, the size limit, safe names, downloads only for those who may see
the ticket, always as a download, and nothing half-applied."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from conftest import Infrastructure
from services.tickets.app import create_app
from services.tickets.attachments import uploads
from services.tickets.settings import TicketsSettings
from services.tickets.tests.conftest import Client, TicketsUnderTest
from shared.db import create_pool
from shared.files.storage import LocalDirectoryStorage
from tests.support import TokenIssuer, serving

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


async def upload(
    client: Client, content: bytes, filename: str, claimed_type: str
) -> dict[str, Any]:
    form = aiohttp.FormData(quote_fields=False)  # as browsers send names: raw UTF-8
    form.add_field("file", content, filename=filename, content_type=claimed_type)
    answer = await client.call("POST", "/tickets/uploads", data=form)
    return {"status": answer.status, **(answer.body or {})}


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


async def test_a_file_is_sniffed_attached_and_downloaded_safely(
    tickets: TicketsUnderTest, tmp_path: Path
) -> None:
    organisation = uuid.uuid4()
    customer = tickets.customer(organisation)
    # The client says text/html; the bytes say PNG: the bytes win.
    png = await upload(customer, PNG, "../../etc/capture écran.png", "text/html")
    assert png["status"] == 201
    assert (png["content_type"], png["size"]) == ("image/png", len(PNG))
    assert png["filename"] == "capture écran.png"  # the path is gone
    ticket = await customer.open(attachment_ids=[png["attachment_id"]])
    [shown] = ticket["attachments"]
    assert shown["attachment_id"] == png["attachment_id"]

    download = await customer.call("GET", shown["download_url"])
    assert download.status == 200
    assert download.raw == PNG
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''capture%20%C3%A9cran.png" in disposition

    # Stored under a generated name, never the user's.
    [file] = stored_files(tmp_path / "attachments")
    assert "capture" not in file.name
    assert file.read_bytes() == PNG

    # An agent replies with a PDF; the customer sees it in the conversation.
    agent = tickets.agent()
    pdf = await upload(agent, PDF, "devis.pdf", "application/octet-stream")
    assert pdf["content_type"] == "application/pdf"
    await agent.ok(
        "POST",
        f"/agent/tickets/{ticket['ticket_id']}/messages",
        json={"body": "Voici le devis", "attachment_ids": [pdf["attachment_id"]]},
    )
    page = await customer.ok("GET", f"/tickets/{ticket['ticket_id']}")
    [message] = page["conversation"]
    assert [a["filename"] for a in message["attachments"]] == ["devis.pdf"]

    # An attachment is attached once.
    again = await customer.call(
        "POST",
        f"/tickets/{ticket['ticket_id']}/messages",
        json={"body": "encore", "attachment_ids": [png["attachment_id"]]},
    )
    assert again.status == 422
    assert [e["field"] for e in again.body["errors"]] == ["attachment_ids"]


async def test_another_organisation_gets_404_and_internal_attachments_stay_internal(
    tickets: TicketsUnderTest,
) -> None:
    customer = tickets.customer(uuid.uuid4())
    other = tickets.customer(uuid.uuid4())
    agent = tickets.agent()
    png = await upload(customer, PNG, "a.png", "image/png")
    ticket = await customer.open(attachment_ids=[png["attachment_id"]])
    url = ticket["attachments"][0]["download_url"]
    assert (await other.call("GET", url)).status == 404
    # The other organisation's own ticket with the attachment's id: still nothing.
    theirs = await other.open()
    stolen = f"/tickets/{theirs['ticket_id']}/attachments/{png['attachment_id']}"
    assert (await other.call("GET", stolen)).status == 404
    # Nor can it attach someone else's upload.
    foreign = await other.call(
        "POST",
        "/tickets",
        json={
            "title": "Avec la pièce d'un autre",
            "description": "x",
            "requester_email": "o@client.example",
            "attachment_ids": [png["attachment_id"]],
        },
    )
    assert foreign.status == 422

    note_file = await upload(agent, PDF, "interne.pdf", "application/pdf")
    await agent.ok(
        "POST",
        f"/agent/tickets/{ticket['ticket_id']}/notes",
        json={"body": "pièce interne", "attachment_ids": [note_file["attachment_id"]]},
    )
    internal = f"/tickets/{ticket['ticket_id']}/attachments/{note_file['attachment_id']}"
    assert (await customer.call("GET", internal)).status == 404
    assert (await agent.call("GET", internal)).status == 200
    page = await customer.call("GET", f"/tickets/{ticket['ticket_id']}")
    assert b"interne.pdf" not in page.raw


async def test_oversize_and_unaccepted_files_are_refused_and_leave_nothing(
    tickets_settings: Callable[..., TicketsSettings],
    tmp_path: Path,
    infrastructure: Infrastructure,
    kafka_namespace: str,
    token_issuer: TokenIssuer,
) -> None:

    settings = tickets_settings(attachment_max_bytes=1000)
    async with serving(create_app(settings)) as url, aiohttp.ClientSession() as session:
        under = TicketsUnderTest(
            url,
            settings.database_url,
            infrastructure.kafka_bootstrap,
            kafka_namespace,
            token_issuer,
            session,
        )
        customer = under.customer(uuid.uuid4())
        too_big = await upload(customer, PNG + b"\x00" * 2000, "big.png", "image/png")
        assert too_big["status"] == 413
        executable = await upload(
            customer, b"MZ\x90\x00" + b"\x00" * 100, "a.pdf", "application/pdf"
        )
        assert executable["status"] == 415
        binary = await upload(customer, bytes(range(256)), "notes.txt", "text/plain")
        assert binary["status"] == 415
        empty = await upload(customer, b"", "vide.txt", "text/plain")
        assert empty["status"] == 415
        text = await upload(
            customer, "Journal d'erreurs\nE-203 à 10:02\n".encode(), "log.txt", "text/plain"
        )
        assert text["content_type"] == "text/plain"
        no_file = await customer.call("POST", "/tickets/uploads", json={"file": "x"})
        assert no_file.status == 415
        rows = await under.sql("SELECT state FROM attachments")
        assert [r["state"] for r in rows] == ["stored"]  # only the text file
        assert len(stored_files(tmp_path / "attachments")) == 1


async def test_uploads_survive_a_restart_and_abandoned_ones_are_cleaned(
    tickets_settings: Callable[..., TicketsSettings],
    tmp_path: Path,
    infrastructure: Infrastructure,
    kafka_namespace: str,
    token_issuer: TokenIssuer,
) -> None:

    settings = tickets_settings()
    organisation = uuid.uuid4()
    async with aiohttp.ClientSession() as session:
        async with serving(create_app(settings)) as url:
            under = TicketsUnderTest(
                url,
                settings.database_url,
                infrastructure.kafka_bootstrap,
                kafka_namespace,
                token_issuer,
                session,
            )
            customer = under.customer(organisation)
            kept = await upload(customer, PNG, "kept.png", "image/png")
            ticket = await customer.open(attachment_ids=[kept["attachment_id"]])
            abandoned = await upload(customer, PDF, "abandoned.pdf", "application/pdf")
        async with serving(create_app(settings)) as url:
            customer = TicketsUnderTest(
                url,
                settings.database_url,
                infrastructure.kafka_bootstrap,
                kafka_namespace,
                token_issuer,
                session,
            ).customer(organisation, user=customer.user_id)
            after = await customer.call("GET", ticket["attachments"][0]["download_url"])
            assert after.raw == PNG
    pool = await create_pool(settings.database_url, "tickets")
    try:
        storage = LocalDirectoryStorage(settings.attachments_dir)
        assert await uploads.delete_abandoned(pool, storage, dt.timedelta(hours=1)) == 0
        assert await uploads.delete_abandoned(pool, storage, dt.timedelta(0)) == 1
        left = {
            r["attachment_id"] for r in await pool.fetch("SELECT attachment_id FROM attachments")
        }
    finally:
        await pool.close()
    assert left == {uuid.UUID(kept["attachment_id"])}
    assert str(abandoned["attachment_id"]) not in str(left)
    assert len([p for p in settings.attachments_dir.rglob("*") if p.is_file()]) == 1
