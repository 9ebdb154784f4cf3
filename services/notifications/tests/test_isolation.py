"""Notifications has no organisation-scoped HTTP operation today (it reads events and sends
mail); an operation added to its API fails here until it has an isolation case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from shared.http.openapi import openapi_document
from shared.sealing import new_sealing_key
from tests.isolation import Entry, assert_table_matches

TABLE: tuple[Entry, ...] = ()


def test_every_operation_of_the_api_has_an_isolation_case(
    service_env: Callable[..., dict[str, Any]],
) -> None:
    app = create_app(NotificationsSettings(**service_env(sealing_key=new_sealing_key())))
    document = openapi_document(app, title="Guichet notifications", version="test")
    assert_table_matches(document, TABLE)
