"""The fleet's aggregates as pure code: given events, when a command, then events or a
refusal. Hypothesis holds the meters' invariant: an accepted history never goes down."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.fleet.domain import (
    Asset,
    AssetModel,
    Consumable,
    Contract,
    FleetRuleBroken,
    InvalidField,
    NewAsset,
    Reading,
    ReadingLowerThanLast,
)
from services.fleet.domain.readings_due import to_remind
from services.fleet.domain_types import AssetStatus, ContractType, Counter, ReadingSource
from services.fleet.events import (
    ContractTerms,
    DueAsset,
    MeterReadingRecorded,
)

TODAY = dt.date(2026, 11, 22)
ORGANISATION = uuid.uuid4()
COUNTERS = (Counter.BLACK_AND_WHITE, Counter.COLOUR)


def terms(**changes: object) -> ContractTerms:
    values: dict[str, object] = {
        "contract_id": uuid.uuid4(),
        "number": "CT-1",
        "contract_type": ContractType.FULL_SERVICE,
        "starts_on": dt.date(2026, 1, 1),
        "ends_on": None,
        "service_level": "J+1",
        "covers_support": True,
        "covers_interventions": True,
    }
    return ContractTerms.model_validate({**values, **changes})


def registered_asset(status: AssetStatus = AssetStatus.IN_SERVICE) -> Asset:
    asset = Asset(uuid.uuid4())
    for event in asset.register(
        NewAsset(
            organisation_id=ORGANISATION,
            model_id=uuid.uuid4(),
            model_code="C3226I",
            model_name="imageRUNNER C3226i",
            manufacturer="Canon",
            counters=COUNTERS,
            product_reference=None,
            serial_number="SN1",
            site_id=uuid.uuid4(),
            site_name="Nancy",
            location="",
            status=status,
            installed_on=None,
            contract=terms(),
            erp_reference=None,
        )
    ):
        asset.apply(event)
    return asset


def reading(values: dict[Counter, int], read_on: dt.date = TODAY) -> Reading:
    return Reading(uuid.uuid4(), read_on, values, ReadingSource.CUSTOMER, uuid.uuid4())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 10**9)), min_size=1, max_size=12))
def test_accepted_readings_never_go_down_and_every_lower_one_is_refused(
    attempts: list[tuple[int, int]],
) -> None:
    asset = registered_asset()
    accepted: list[dict[Counter, int]] = []
    for black, colour in attempts:
        values = {Counter.BLACK_AND_WHITE: black, Counter.COLOUR: colour}
        last = dict(asset.last_values)
        lower = {
            (counter, values[counter], last[counter])
            for counter in COUNTERS
            if counter in last and values[counter] < last[counter]
        }
        if lower:
            # Refused exactly when a meter goes down, naming each such meter and its last value.
            with pytest.raises(ReadingLowerThanLast) as refused:
                asset.record_reading(reading(values), today=TODAY)
            assert {(i.counter, i.value, i.last_value) for i in refused.value.lower} == lower
            continue
        [event] = asset.record_reading(reading(values), today=TODAY)
        assert all(values[c] >= last.get(c, 0) for c in COUNTERS)
        assert isinstance(event, MeterReadingRecorded)
        assert event.previous == last
        asset.apply(event)
        accepted.append(values)
    for earlier, later in itertools.pairwise(accepted):
        assert all(later[c] >= earlier[c] for c in COUNTERS)


def test_a_reading_names_every_meter_and_no_other_and_is_never_dated_ahead() -> None:
    asset = registered_asset()
    refusals = [
        ({Counter.BLACK_AND_WHITE: 1}, TODAY, "counters"),
        ({**dict.fromkeys(COUNTERS, 1), Counter.SCANS: 1}, TODAY, "counters"),
        (dict.fromkeys(COUNTERS, 1), TODAY + dt.timedelta(days=1), "read_on"),
    ]
    for values, day, field in refusals:
        with pytest.raises(InvalidField) as refused:
            asset.record_reading(reading(values, day), today=TODAY)
        assert refused.value.field == field
    [event] = asset.record_reading(reading(dict.fromkeys(COUNTERS, 5)), today=TODAY)
    asset.apply(event)
    with pytest.raises(InvalidField, match="cannot be older"):
        asset.record_reading(
            reading(dict.fromkeys(COUNTERS, 6), TODAY - dt.timedelta(days=1)), today=TODAY
        )


def test_a_withdrawn_asset_takes_no_reading_and_no_change_but_repeating_its_state_is_fine() -> None:
    asset = registered_asset()
    [withdrawn] = asset.change_status(AssetStatus.WITHDRAWN, "repris")
    asset.apply(withdrawn)
    with pytest.raises(FleetRuleBroken, match="withdrawn"):
        asset.record_reading(reading(dict.fromkeys(COUNTERS, 1)), today=TODAY)
    with pytest.raises(FleetRuleBroken, match="withdrawn"):
        asset.relocate(site_id=uuid.uuid4(), site_name="Metz", location="")
    assert asset.change_status(AssetStatus.WITHDRAWN, None) == []
    assert asset.relocate(site_id=asset.site_id, site_name="Nancy", location="") == []  # type: ignore[arg-type]


def test_a_contract_keeps_its_number_cannot_end_twice_and_changes_only_when_it_changes() -> None:
    contract = Contract(uuid.uuid4())
    initial = terms(contract_id=contract.contract_id)
    for event in contract.register(
        organisation_id=ORGANISATION, terms=initial, reading_every_days=30, erp_reference=None
    ):
        contract.apply(event)
    assert contract.change_terms(initial, 30) == []
    with pytest.raises(InvalidField) as renumbered:
        contract.change_terms(terms(contract_id=contract.contract_id, number="CT-2"), 30)
    assert renumbered.value.field == "number"
    with pytest.raises(InvalidField):
        contract.change_terms(
            terms(contract_id=contract.contract_id, ends_on=dt.date(2025, 1, 1)), 30
        )
    assert contract.in_force(TODAY)
    [ended] = contract.end(ended_on=TODAY, reason="résilié")
    contract.apply(ended)
    assert not contract.in_force(TODAY)
    with pytest.raises(FleetRuleBroken, match="already ended"):
        contract.end(ended_on=TODAY, reason=None)


def test_a_model_gains_meters_never_loses_one_and_lists_each_consumable_once() -> None:
    model = AssetModel(uuid.uuid4())
    for event in model.define(code="M", name="M", manufacturer="X", counters=COUNTERS):
        model.apply(event)
    with pytest.raises(InvalidField, match="cannot be removed"):
        model.change(name="M", manufacturer="X", counters=(Counter.COLOUR,))
    [changed] = model.change(name="M", manufacturer="X", counters=(*COUNTERS, Counter.SCANS))
    toner = Consumable("TON-K", "Toner noir", 4)
    [listed] = model.list_consumable(toner)
    model.apply(listed)
    assert model.list_consumable(toner) == []
    with pytest.raises(FleetRuleBroken):
        model.withdraw_consumable("TON-C")
    assert changed.counters == (*COUNTERS, Counter.SCANS)  # type: ignore[attr-defined]


def test_the_reminder_names_assets_due_within_the_notice_not_reminded_for_that_date() -> None:
    def due(days: int) -> DueAsset:
        return DueAsset(
            asset_id=uuid.uuid4(),
            serial_number=f"SN{days}",
            model_name="M",
            site_name="S",
            location="",
            due_on=TODAY + dt.timedelta(days=days),
            last_read_on=None,
            last_read_by=None,
        )

    overdue, soon, later, reminded = due(-3), due(7), due(8), due(1)
    chosen = to_remind(
        [later, soon, reminded, overdue],
        today=TODAY,
        notice_days=7,
        reminded={(reminded.asset_id, reminded.due_on)},
    )
    assert chosen == (overdue, soon)
