"""The published event catalogue says what the code publishes."""

from __future__ import annotations

from shared.catalogue import DOCUMENT, build, render


def test_the_committed_catalogue_matches_the_registered_events() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(), (
        "docs/events/asyncapi.json is stale: run `.venv/bin/python -m shared.catalogue`"
    )


def test_every_event_is_described_with_its_type_version_and_data_schema() -> None:
    document = build()
    message = document["components"]["messages"]["TicketOpened"]
    assert message["name"] == "guichet.tickets.TicketOpened"
    details = message["payload"]["allOf"][1]["properties"]
    assert details["dataversion"] == {"const": 1}
    data_schema = document["components"]["schemas"]["TicketOpened"]
    assert set(data_schema["required"]) >= {"ticket_id", "title", "requester_email"}
    assert document["channels"]["tickets"]["address"] == "guichet.tickets"
