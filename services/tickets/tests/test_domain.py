"""The ticket aggregate, without I/O: given events, when a command, then events."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.tickets.domain import Ticket, TicketRuleBroken
from services.tickets.domain_types import Priority, TicketStatus
from services.tickets.events import TicketOpened


def open_command(**overrides: object) -> dict:
    return {
        "number": 1000,
        "title": "Printer jammed",
        "description": "Paper jam on tray 2",
        "priority": Priority.HIGH,
        "requester_email": "a@example.com",
        **overrides,
    }


def test_opening_a_new_ticket_records_the_request_as_given() -> None:
    ticket_id = uuid.uuid4()
    [event] = Ticket(ticket_id).open(**open_command())
    assert event == TicketOpened(
        ticket_id=ticket_id,
        number=1000,
        title="Printer jammed",
        description="Paper jam on tray 2",
        priority=Priority.HIGH,
        requester_email="a@example.com",
    )


def test_an_opened_ticket_is_new_and_cannot_be_opened_again() -> None:
    ticket_id = uuid.uuid4()
    ticket = Ticket.from_history(ticket_id, Ticket(ticket_id).open(**open_command()))
    assert ticket.status is TicketStatus.NEW
    assert ticket.version == 1
    with pytest.raises(TicketRuleBroken):
        ticket.open(**open_command())


@given(priority=st.sampled_from(Priority), number=st.integers(min_value=1, max_value=2**40))
def test_folding_the_opening_event_gives_back_what_was_asked(
    priority: Priority, number: int
) -> None:
    ticket_id = uuid.uuid4()
    events = Ticket(ticket_id).open(**open_command(priority=priority, number=number))
    ticket = Ticket.from_history(ticket_id, events)
    assert (ticket.priority, ticket.requester_email) == (priority, "a@example.com")
