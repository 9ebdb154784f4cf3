"""The intervention aggregate: given events, when a command, then events or a refusal; and no
sequence of commands reaches an illegal state."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.tickets.domain import (
    INTERVENTION_TRANSITIONS,
    IllegalTransition,
    Intervention,
    NewIntervention,
    RequestedOn,
    TicketRuleBroken,
)
from services.tickets.domain_types import InterventionStatus as S
from services.tickets.domain_types import Priority
from services.tickets.events import (
    InterventionCancelled,
    InterventionRequested,
    InterventionScheduled,
)
from services.tickets.settings import TicketsSettings
from shared.events import DomainEvent

CUSTOMER, AGENT = uuid.uuid4(), uuid.uuid4()
MONDAY = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def new_intervention(*, covered: bool = True) -> NewIntervention:
    return NewIntervention(
        number=1234,
        organisation_id=uuid.uuid4(),
        asset=RequestedOn(
            asset_id=uuid.uuid4(),
            serial_number="E123456",
            model_name="Ricoh MP C3004",
            site_name="Siège",
            location="Accueil",
            contract_id=uuid.uuid4() if covered else None,
            contract_number="FS-1" if covered else None,
            covered=covered,
        ),
        nature="breakdown",
        nature_labels={"fr": "Panne", "en": "Breakdown"},
        error_code="SC-542",
        details="Ne démarre plus",
        urgency=Priority.URGENT,
        requested_by=CUSTOMER,
        requester_email="claire@client.example",
    )


def requested(*, covered: bool = True) -> Intervention:
    intervention = Intervention(uuid.uuid4())
    for event in intervention.request(new_intervention(covered=covered)):
        intervention.apply(event)
    return intervention


def test_a_request_records_the_machine_and_its_coverage_and_waits_for_validation() -> None:
    intervention = Intervention(uuid.uuid4())
    [event] = intervention.request(new_intervention(covered=False))
    assert isinstance(event, InterventionRequested)
    assert (event.number, event.serial_number, event.covered) == (1234, "E123456", False)
    assert (event.contract_id, event.nature_labels["fr"]) == (None, "Panne")
    intervention.apply(event)
    assert (intervention.status, intervention.cancellable) == (S.WAITING_FOR_VALIDATION, True)
    with pytest.raises(TicketRuleBroken, match="already requested"):
        intervention.request(new_intervention())


def test_cancelling_needs_a_comment_and_names_the_requester_for_the_confirmation() -> None:
    intervention = requested()
    with pytest.raises(TicketRuleBroken, match="say why"):
        intervention.cancel(by=CUSTOMER, comment=" ")
    [event] = intervention.cancel(by=CUSTOMER, comment="Réparé")
    assert isinstance(event, InterventionCancelled)
    assert (event.requested_by, event.requester_email, event.number) == (
        CUSTOMER,
        "claire@client.example",
        1234,
    )


@pytest.mark.parametrize("status", [S.SCHEDULED, S.IN_PROGRESS, S.DONE])
def test_only_a_request_waiting_for_validation_is_cancelled(status: S) -> None:
    intervention = requested()
    intervention.status = status
    with pytest.raises(IllegalTransition) as refused:
        intervention.cancel(by=CUSTOMER, comment="Plus besoin")
    assert refused.value.current is status
    assert f"an intervention that is {status.value} cannot become cancelled" in str(refused.value)


def test_rescheduling_to_the_same_date_and_technician_changes_nothing() -> None:
    intervention = requested()
    [event] = intervention.schedule(scheduled_for=MONDAY, technician="Marc", by=AGENT)
    assert isinstance(event, InterventionScheduled)
    assert event.from_status is S.WAITING_FOR_VALIDATION
    intervention.apply(event)
    assert intervention.schedule(scheduled_for=MONDAY, technician="Marc", by=AGENT) == []
    [moved] = intervention.schedule(
        scheduled_for=MONDAY + dt.timedelta(days=1), technician="Marc", by=AGENT
    )
    assert isinstance(moved, InterventionScheduled)
    assert moved.from_status is S.SCHEDULED
    with pytest.raises(TicketRuleBroken, match="time zone"):
        intervention.schedule(scheduled_for=dt.datetime(2026, 12, 8), technician="Marc", by=AGENT)


def test_the_vendor_s_natures_need_codes_and_french_and_english_labels() -> None:
    base = {"database_url": "postgresql://h/d", "kafka_bootstrap": "h:1", "public_url": "http://p/"}
    natures = {"toner": {"fr": "Toner", "en": "Toner"}}
    assert TicketsSettings(**base, intervention_natures=natures).intervention_natures == natures
    for wrong in ({}, {"Toner!": {"fr": "T", "en": "T"}}, {"toner": {"fr": "Toner"}}):
        with pytest.raises(ValidationError, match="intervention_natures"):
            TicketsSettings(**base, intervention_natures=wrong)


# --- property: no sequence of commands reaches an illegal state ------------------------------

COMMANDS = st.one_of(
    st.tuples(st.just("schedule"), st.integers(0, 3), st.sampled_from(["Marc", "Inès"])),
    st.tuples(st.just("start"), st.none(), st.none()),
    st.tuples(st.just("complete"), st.none(), st.none()),
    st.tuples(st.just("cancel"), st.none(), st.sampled_from(["", "Plus besoin"])),
)


def run(
    intervention: Intervention, command: tuple[str, int | None, str | None]
) -> list[DomainEvent]:
    name, days, text = command
    match name:
        case "schedule":
            assert days is not None
            assert text is not None
            when = MONDAY + dt.timedelta(days=days)
            return intervention.schedule(scheduled_for=when, technician=text, by=AGENT)
        case "start":
            return intervention.start(by=AGENT)
        case "complete":
            return intervention.complete(by=AGENT, report=None)
    return intervention.cancel(by=CUSTOMER, comment=text or "")


@settings(max_examples=300)
@given(commands=st.lists(COMMANDS, max_size=25))
def test_no_sequence_of_commands_reaches_an_illegal_state(
    commands: list[tuple[str, int | None, str | None]],
) -> None:
    intervention = Intervention(uuid.uuid4())
    history: list[DomainEvent] = intervention.request(new_intervention())
    for event in history:
        intervention.apply(event)
    for command in commands:
        before = intervention.status
        assert before is not None
        try:
            events = run(intervention, command)
        except TicketRuleBroken:
            continue  # refused, and nothing changed
        for event in events:
            intervention.apply(event)
        history.extend(events)
        after = intervention.status
        assert after is not None
        assert after == before or after in INTERVENTION_TRANSITIONS[before], (before, after)
        if any(isinstance(event, InterventionCancelled) for event in events):
            assert before is S.WAITING_FOR_VALIDATION  # the only status a customer cancels in
        if before in (S.DONE, S.CANCELLED):
            assert events == []  # final: nothing more happens
        if after is S.SCHEDULED:
            assert intervention.scheduled_for is not None
            assert intervention.technician
    # The state is the fold of what was recorded: replaying gives the same intervention.
    replayed = Intervention.from_history(intervention.intervention_id, history)
    assert (replayed.status, replayed.scheduled_for, replayed.technician, replayed.version) == (
        intervention.status,
        intervention.scheduled_for,
        intervention.technician,
        len(history),
    )
