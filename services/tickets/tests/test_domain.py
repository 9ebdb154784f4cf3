"""The ticket aggregate, without I/O: given events, when a command, then events (or an error)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.tickets.domain import (
    TRANSITIONS,
    IllegalTransition,
    NewTicket,
    Ticket,
    TicketRuleBroken,
)
from services.tickets.domain.service_levels import ServiceLevels, overdue
from services.tickets.domain_types import AuthorSide, Department, Priority, TicketStatus
from services.tickets.events import (
    AttachmentRef,
    TicketClosed,
    TicketDuplicated,
    TicketMessagePosted,
    TicketOpened,
    TicketResolved,
    TicketResumed,
    TicketStatusChanged,
    TicketSuspended,
)
from services.tickets.settings import TicketsSettings
from shared.events import DomainEvent

AGENT = uuid.uuid4()
CUSTOMER = uuid.uuid4()
ORGANISATION = uuid.uuid4()


def new_ticket(**overrides: Any) -> NewTicket:
    values: dict[str, Any] = {
        "number": 1000,
        "organisation_id": ORGANISATION,
        "title": "Printer jammed",
        "description": "Paper jam on tray 2",
        "priority": Priority.HIGH,
        "requester_id": CUSTOMER,
        "requester_email": "a@example.com",
        "opened_by": CUSTOMER,
        **overrides,
    }
    return NewTicket(**values)


def opened(**overrides: Any) -> Ticket:
    ticket_id = uuid.uuid4()
    return Ticket.from_history(ticket_id, Ticket(ticket_id).open(new_ticket(**overrides)))


def in_status(status: TicketStatus) -> Ticket:
    """A ticket brought to `status` by the shortest legal path."""
    ticket = opened()
    path = {
        TicketStatus.NEW: [],
        TicketStatus.OPEN: [TicketStatus.OPEN],
        TicketStatus.IN_PROGRESS: [TicketStatus.OPEN, TicketStatus.IN_PROGRESS],
        TicketStatus.WAITING_FOR_CUSTOMER: [
            TicketStatus.OPEN,
            TicketStatus.IN_PROGRESS,
            TicketStatus.WAITING_FOR_CUSTOMER,
        ],
        TicketStatus.RESOLVED: [TicketStatus.RESOLVED],
        TicketStatus.CLOSED: [TicketStatus.RESOLVED, TicketStatus.CLOSED],
    }[status]
    for target in path:
        for event in ticket.change_status(target, by=AGENT, side=AuthorSide.AGENT, reason="?"):
            ticket.apply(event)
    assert ticket.status is status
    return ticket


def test_opening_records_the_request_as_given_and_the_ticket_is_new() -> None:
    ticket_id = uuid.uuid4()
    [event] = Ticket(ticket_id).open(new_ticket(product="MX-4000", reference_1="PO-12"))
    assert isinstance(event, TicketOpened)
    assert (event.ticket_id, event.title, event.priority) == (ticket_id, "Printer jammed", "high")
    assert (event.product, event.reference_1, event.requester_id) == ("MX-4000", "PO-12", CUSTOMER)
    ticket = Ticket.from_history(ticket_id, [event])
    assert ticket.status is TicketStatus.NEW
    with pytest.raises(TicketRuleBroken):
        ticket.open(new_ticket())


def test_the_first_slice_opening_event_is_still_understood() -> None:
    old = {
        "ticket_id": str(uuid.uuid4()),
        "number": 1000,
        "title": "t",
        "description": "d",
        "priority": "low",
        "requester_email": "a@example.com",
    }
    event = TicketOpened.model_validate(old)
    assert event.department is Department.TECHNICAL
    assert event.organisation_id is None


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (current, target)
        for current in TicketStatus
        for target in TicketStatus
        if target not in TRANSITIONS[current]
    ],
)
def test_every_illegal_transition_is_refused_naming_the_allowed_ones(
    current: TicketStatus, target: TicketStatus
) -> None:
    ticket = in_status(current)
    with pytest.raises(IllegalTransition) as refused:
        ticket.change_status(target, by=AGENT, side=AuthorSide.AGENT, reason="details")
    assert refused.value.allowed == TRANSITIONS[current]
    for allowed in TRANSITIONS[current]:
        assert allowed.value in str(refused.value)


@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [
        (TicketStatus.NEW, TicketStatus.OPEN, TicketStatusChanged),
        (TicketStatus.IN_PROGRESS, TicketStatus.WAITING_FOR_CUSTOMER, TicketSuspended),
        (TicketStatus.WAITING_FOR_CUSTOMER, TicketStatus.RESOLVED, TicketResolved),
        (TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketClosed),
        (TicketStatus.RESOLVED, TicketStatus.OPEN, TicketStatusChanged),
    ],
)
def test_each_move_is_told_by_the_event_that_says_most_about_it(
    current: TicketStatus, target: TicketStatus, expected: type
) -> None:
    [event] = in_status(current).change_status(
        target, by=AGENT, side=AuthorSide.AGENT, reason="Which tray?"
    )
    assert isinstance(event, expected)


def test_suspending_needs_a_reason() -> None:
    with pytest.raises(TicketRuleBroken, match="information"):
        in_status(TicketStatus.IN_PROGRESS).change_status(
            TicketStatus.WAITING_FOR_CUSTOMER, by=AGENT, side=AuthorSide.AGENT
        )


def test_resuming_posts_the_completed_information_then_goes_back_in_progress() -> None:
    ticket = in_status(TicketStatus.WAITING_FOR_CUSTOMER)
    message_id = uuid.uuid4()
    posted, resumed = ticket.resume(message_id=message_id, author_id=CUSTOMER, body="Tray 2")
    assert isinstance(posted, TicketMessagePosted)
    assert posted.author_side is AuthorSide.CUSTOMER
    assert isinstance(resumed, TicketResumed)
    assert resumed.message_id == message_id
    for event in (posted, resumed):
        ticket.apply(event)
    assert ticket.status is TicketStatus.IN_PROGRESS


@pytest.mark.parametrize(
    "status", [s for s in TicketStatus if s is not TicketStatus.WAITING_FOR_CUSTOMER]
)
def test_only_a_waiting_ticket_can_be_resumed(status: TicketStatus) -> None:
    with pytest.raises(TicketRuleBroken, match="waiting"):
        in_status(status).resume(message_id=uuid.uuid4(), author_id=CUSTOMER, body="x")


def test_a_closed_ticket_takes_no_reply_and_only_it_can_be_duplicated() -> None:
    closed = in_status(TicketStatus.CLOSED)
    with pytest.raises(TicketRuleBroken, match="duplicate"):
        closed.post_message(
            message_id=uuid.uuid4(), author_id=CUSTOMER, side=AuthorSide.CUSTOMER, body="hi"
        )
    copy_id = uuid.uuid4()
    [event] = closed.mark_duplicated(duplicate_id=copy_id, by=CUSTOMER)
    assert event == TicketDuplicated(
        ticket_id=closed.ticket_id, duplicate_id=copy_id, duplicated_by=CUSTOMER
    )
    with pytest.raises(TicketRuleBroken, match="closed"):
        in_status(TicketStatus.RESOLVED).mark_duplicated(duplicate_id=copy_id, by=CUSTOMER)


def test_an_attachment_is_attached_once() -> None:
    ticket = opened()
    ref = AttachmentRef(
        attachment_id=uuid.uuid4(), filename="a.pdf", content_type="application/pdf", size=3
    )
    for event in ticket.post_message(
        message_id=uuid.uuid4(),
        author_id=CUSTOMER,
        side=AuthorSide.CUSTOMER,
        body="x",
        attachments=(ref,),
    ):
        ticket.apply(event)
    with pytest.raises(TicketRuleBroken, match="already"):
        ticket.add_internal_note(
            note_id=uuid.uuid4(), author_id=AGENT, body="n", attachments=(ref,)
        )


def test_assigning_to_how_it_already_is_changes_nothing() -> None:
    ticket = opened()
    assert ticket.assign(department=Department.TECHNICAL, assignee_id=None, by=AGENT) == []
    [event] = ticket.assign(department=Department.BILLING, assignee_id=AGENT, by=AGENT)
    ticket.apply(event)
    assert (ticket.department, ticket.assignee_id) == (Department.BILLING, AGENT)


def test_due_times_follow_the_priority_and_late_means_after_the_due_time() -> None:
    levels = ServiceLevels(
        dict.fromkeys(Priority, 1.0) | {Priority.URGENT: 0.5}, dict.fromkeys(Priority, 8.0)
    )
    start = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    first, resolution = levels.due_times(start, Priority.URGENT)
    assert (first - start, resolution - start) == (dt.timedelta(minutes=30), dt.timedelta(hours=8))
    assert not overdue(first, None, start)
    assert overdue(first, None, first + dt.timedelta(seconds=1))
    assert not overdue(first, first, first + dt.timedelta(days=1))
    assert overdue(first, first + dt.timedelta(seconds=1), first)


# --- property: no sequence of commands reaches an illegal state ------------------------------

COMMANDS = st.one_of(
    st.tuples(st.just("status"), st.sampled_from(TicketStatus), st.sampled_from(AuthorSide)),
    st.tuples(st.just("resume"), st.none(), st.just(AuthorSide.CUSTOMER)),
    st.tuples(st.just("reply"), st.none(), st.sampled_from(AuthorSide)),
    st.tuples(st.just("duplicate"), st.none(), st.just(AuthorSide.CUSTOMER)),
)


def run(ticket: Ticket, command: tuple[str, TicketStatus | None, AuthorSide]) -> list[DomainEvent]:
    name, target, side = command
    actor = AGENT if side is AuthorSide.AGENT else CUSTOMER
    match name:
        case "status":
            assert target is not None
            return ticket.change_status(target, by=actor, side=side, reason="Which model?")
        case "resume":
            return ticket.resume(message_id=uuid.uuid4(), author_id=actor, body="It is an MX")
        case "reply":
            return ticket.post_message(
                message_id=uuid.uuid4(), author_id=actor, side=side, body="…"
            )
    return ticket.mark_duplicated(duplicate_id=uuid.uuid4(), by=actor)


@settings(max_examples=300)
@given(commands=st.lists(COMMANDS, max_size=30))
def test_no_sequence_of_commands_reaches_an_illegal_state(
    commands: list[tuple[str, TicketStatus | None, AuthorSide]],
) -> None:
    ticket = opened()
    history: list[DomainEvent] = []
    for command in commands:
        before = ticket.status
        assert before is not None
        try:
            events = run(ticket, command)
        except TicketRuleBroken:
            continue  # refused, and nothing changed
        for event in events:
            ticket.apply(event)
        history.extend(events)
        after = ticket.status
        assert after is not None
        assert after == before or after in TRANSITIONS[before], (before, after)
        if before is TicketStatus.CLOSED:
            assert after is TicketStatus.CLOSED
    # The state is the fold of what was recorded: replaying gives the same ticket.
    replayed = Ticket.from_history(
        ticket.ticket_id, [*Ticket(ticket.ticket_id).open(new_ticket()), *history]
    )
    assert (replayed.status, replayed.duplicate_id) == (ticket.status, ticket.duplicate_id)


def test_the_vendor_settings_need_positive_hours_for_every_priority() -> None:
    base = {"database_url": "postgresql://h/d", "kafka_bootstrap": "h:1", "public_url": "http://p/"}
    hours = {"urgent": 0.5, "high": 2, "normal": 4, "low": 8}
    settings = TicketsSettings(**base, first_response_hours=hours)
    assert settings.service_levels.first_response_hours[Priority.URGENT] == 0.5
    for wrong in ({"urgent": 1}, {**hours, "low": 0}):
        with pytest.raises(ValidationError, match="first_response_hours"):
            TicketsSettings(**base, first_response_hours=wrong)
