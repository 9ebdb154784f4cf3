"""The queue's filters, from the address the form makes to the API's parameters: what the
browser test cannot show one by one."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl

from multidict import MultiDict, MultiDictProxy

from services.web.pages.queue import ACTIVE, Filters

ME = str(uuid.uuid4())


def read(*pairs: tuple[str, str]) -> Filters:
    return Filters.read(MultiDictProxy(MultiDict(pairs)))


def test_the_first_visit_shows_what_is_still_to_be_worked_on() -> None:
    assert read().statuses == ACTIVE
    assert read().api_params(ME) == [("status", status) for status in ACTIVE]
    # The form sent with every status unticked: every ticket, whatever its status.
    assert read(("filtered", "1")).api_params(ME) == []


def test_mine_and_unassigned_become_the_apis_parameters() -> None:
    assert ("assignee_id", ME) in read(("filtered", "1"), ("assignee", "mine")).api_params(ME)
    assert read(("filtered", "1"), ("assignee", "unassigned")).api_params(ME) == [
        ("unassigned", "true")
    ]
    colleague = str(uuid.uuid4())
    assert read(("filtered", "1"), ("assignee", colleague)).api_params(ME) == [
        ("assignee_id", colleague)
    ]


def test_nonsense_is_dropped_rather_than_sent() -> None:
    filters = read(
        ("filtered", "1"),
        ("status", "new"),
        ("status", "lost"),
        ("priority", "whenever"),
        ("department", "marketing"),
        ("assignee", "someone"),
        ("organisation_id", "not-an-id"),
        ("q", "  toner " + "x" * 300),
    )
    params = filters.api_params(ME)
    assert params[0] == ("status", "new")
    assert params[1][0] == "q"
    assert len(params[1][1]) == 200
    assert len(params) == 2


def test_a_rows_link_replaces_the_filter_it_sets() -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    filters = read(("filtered", "1"), ("organisation_id", first), ("overdue", "on"))
    pairs = parse_qsl(filters.query_string(organisation_id=second))
    assert ("organisation_id", second) in pairs
    assert ("organisation_id", first) not in pairs
    assert ("overdue", "on") in pairs
    assert read(*pairs).organisation_id == second
