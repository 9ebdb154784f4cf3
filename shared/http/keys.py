"""Application keys shared by every service's app."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from shared.eventstore import EventStore
from shared.settings import ServiceSettings

SETTINGS = web.AppKey("settings", ServiceSettings)
DB_POOL = web.AppKey("db_pool", asyncpg.Pool)
EVENT_STORE = web.AppKey("event_store", EventStore)
