"""Tickets with its attachments in an S3 bucket: the same upload, download and isolation as
with a directory; settings that cannot work stop the service before it serves anything."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from pydantic import ValidationError

from conftest import Infrastructure
from devstack import objectstore
from services.tickets.app import create_app
from services.tickets.settings import TicketsSettings
from services.tickets.tests.conftest import TicketsUnderTest
from services.tickets.tests.test_attachments import PNG, upload
from shared.files.s3 import StorageUnavailable
from tests.support import TokenIssuer, serving


async def bucket_contents(store: objectstore.ObjectStore, bucket: str) -> list[str]:
    async with objectstore.client(store) as s3:
        listing = await s3.list_objects_v2(Bucket=bucket)
    return [o["Key"] for o in listing.get("Contents", [])]


async def test_attachments_go_to_the_bucket_and_only_their_organisation_gets_them(
    tickets_settings: Callable[..., TicketsSettings],
    s3_attachments: dict[str, Any],
    object_store: objectstore.ObjectStore,
    infrastructure: Infrastructure,
    kafka_namespace: str,
    token_issuer: TokenIssuer,
) -> None:
    settings = tickets_settings(attachment_max_bytes=1000, **s3_attachments)
    bucket = s3_attachments["attachments_s3_bucket"]
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
        other = under.customer(uuid.uuid4())
        png = await upload(customer, PNG, "capture écran.png", "text/html")
        assert (png["status"], png["content_type"]) == (201, "image/png")
        ticket = await customer.open(attachment_ids=[png["attachment_id"]])
        download_url = ticket["attachments"][0]["download_url"]

        download = await customer.call("GET", download_url)
        assert download.status == 200
        assert download.raw == PNG
        assert download.headers["Content-Type"] == "image/png"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert (
            "filename*=UTF-8''capture%20%C3%A9cran.png" in download.headers["Content-Disposition"]
        )
        assert (await other.call("GET", download_url)).status == 404

        # One object, under the generated key, never the user's file name.
        [key] = await under.sql("SELECT storage_key FROM attachments")
        assert await bucket_contents(object_store, bucket) == [f"attachments/{key['storage_key']}"]
        # Refused files leave nothing in the bucket, nor rows.
        too_big = await upload(customer, PNG + b"\x00" * 2000, "big.png", "image/png")
        assert too_big["status"] == 413
        executable = await upload(customer, b"MZ\x90\x00" + b"\x00" * 100, "a.pdf", "x/y")
        assert executable["status"] == 415
        assert len(await bucket_contents(object_store, bucket)) == 1
        assert len(await under.sql("SELECT 1 FROM attachments")) == 1

        # A file gone from the bucket is a 404, not a broken download.
        async with objectstore.client(object_store) as s3:
            await s3.delete_object(Bucket=bucket, Key=f"attachments/{key['storage_key']}")
        gone = await customer.call("GET", download_url)
        assert gone.status == 404
        assert gone.body["title"] == "Not found"  # a problem document, not a cut-off file


async def test_a_bucket_that_cannot_be_used_stops_the_service_at_start(
    tickets_settings: Callable[..., TicketsSettings], s3_attachments: dict[str, Any]
) -> None:
    wrong_secret = tickets_settings(
        **{**s3_attachments, "attachments_s3_secret_access_key": "not-the-secret"}
    )
    with pytest.raises(StorageUnavailable, match="cannot be used"):
        async with serving(create_app(wrong_secret)):
            pass
    no_such_bucket = tickets_settings(
        **{**s3_attachments, "attachments_s3_bucket": "no-such-bucket-here"}
    )
    with pytest.raises(StorageUnavailable, match="'no-such-bucket-here'"):
        async with serving(create_app(no_such_bucket)):
            pass


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"attachments_s3_url": "http://s3.example", "attachments_s3_region": "fr-par"},
            "GUICHET_ATTACHMENTS_S3_REGION, GUICHET_ATTACHMENTS_S3_URL set without"
            " GUICHET_ATTACHMENTS_S3_BUCKET",
        ),
        (
            {"attachments_s3_bucket": "guichet", "attachments_s3_access_key_id": "AK"},
            "set both GUICHET_ATTACHMENTS_S3_ACCESS_KEY_ID and"
            " GUICHET_ATTACHMENTS_S3_SECRET_ACCESS_KEY, or neither",
        ),
        ({"attachments_s3_bucket": "Mon_Bucket"}, "should match pattern"),
        ({"attachments_s3_bucket": "guichet", "attachments_s3_url": "s3.example"}, "URL"),
        ({"attachments_s3_bucket": "guichet", "attachments_s3_prefix": "/abs"}, "pattern"),
    ],
)
def test_s3_settings_that_cannot_work_are_refused(
    service_env: Callable[..., dict[str, Any]], settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        TicketsSettings(**service_env(**settings))


def test_the_secret_key_never_shows(service_env: Callable[..., dict[str, Any]]) -> None:
    settings = TicketsSettings(
        **service_env(
            attachments_s3_bucket="guichet",
            attachments_s3_access_key_id="AK",
            attachments_s3_secret_access_key="very-secret-value",
        )
    )
    assert "very-secret-value" not in repr(settings)
    assert "very-secret-value" not in repr(settings.attachments_s3)


def test_a_half_s3_configuration_stops_the_service_saying_what_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GUICHET_DATABASE_URL", "postgresql://u@db:5432/guichet")
    monkeypatch.setenv("GUICHET_KAFKA_BOOTSTRAP", "kafka:9092")
    monkeypatch.setenv("GUICHET_PUBLIC_URL", "https://portal.example")
    monkeypatch.setenv("GUICHET_ATTACHMENTS_S3_URL", "https://s3.fr-par.scw.cloud")
    with pytest.raises(SystemExit) as stopped:
        TicketsSettings.from_env()
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[1:] == [
        "  Value error, GUICHET_ATTACHMENTS_S3_URL set without GUICHET_ATTACHMENTS_S3_BUCKET:"
        " set the bucket to store attachments in S3, or unset them to keep them in"
        " GUICHET_ATTACHMENTS_DIR"
    ]
