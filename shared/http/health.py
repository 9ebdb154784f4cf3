"""Liveness, readiness and metrics endpoints."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp import web
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.http.keys import DB_POOL, SETTINGS

PROBE_TIMEOUT = 2.0
routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(_request: web.Request) -> web.Response:
    """Alive: the event loop answers. Deliberately checks nothing else, so a database outage
    does not get every pod restarted."""
    return web.json_response({"status": "ok"})


async def _database_ready(pool: asyncpg.Pool) -> bool:
    try:
        return await asyncio.wait_for(pool.fetchval("SELECT true"), PROBE_TIMEOUT) is True
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False


async def _broker_ready(bootstrap: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
    try:
        await asyncio.wait_for(admin.start(), PROBE_TIMEOUT)
        await asyncio.wait_for(admin.list_topics(), PROBE_TIMEOUT)
    except Exception:
        return False
    else:
        return True
    finally:
        await admin.close()


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """Ready to take traffic: the database and the broker both answer."""
    database, broker = await asyncio.gather(
        _database_ready(request.app[DB_POOL]),
        _broker_ready(request.app[SETTINGS].kafka_bootstrap),
    )
    checks = {"database": "ok" if database else "down", "broker": "ok" if broker else "down"}
    ready = database and broker
    return web.json_response(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


@routes.get("/metrics")
async def metrics(_request: web.Request) -> web.Response:
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response
