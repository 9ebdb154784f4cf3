"""Identity served on a real port, on a fresh database, with the vendor's first admin."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from services.identity.app import create_app
from services.identity.bootstrap import create_admin
from services.identity.settings import IdentitySettings
from services.identity.tests.portal import ADMIN_EMAIL, ADMIN_PASSWORD, Portal
from shared.sealing import Sealer, new_sealing_key
from tests.support import serving


@pytest.fixture
async def portal(
    request: pytest.FixtureRequest, service_env: Callable[..., dict[str, Any]]
) -> AsyncIterator[Portal]:
    """A test module may name the public URL identity is served under (`PORTAL_PUBLIC_URL`)."""
    key = new_sealing_key()
    public_url = getattr(request.module, "PORTAL_PUBLIC_URL", None)
    overrides = {"public_url": public_url} if public_url else {}
    settings = IdentitySettings(**service_env(sealing_key=key, identity_url=None, **overrides))
    await create_admin(settings, ADMIN_EMAIL, ADMIN_PASSWORD)
    async with serving(create_app(settings)) as url, aiohttp.ClientSession() as session:
        yield Portal(url, settings.database_url, Sealer(key), session)
