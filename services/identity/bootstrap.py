"""The first vendor administrator: someone must exist to create the others.

`python -m services.identity create-admin` with GUICHET_ADMIN_EMAIL and GUICHET_ADMIN_PASSWORD
(and optionally GUICHET_ADMIN_FIRST_NAME / _LAST_NAME) creates a vendor-admin account with that
password, or does nothing if the email already has an account, so it is safe to run at every
deployment.
"""

from __future__ import annotations

import os
import sys
import uuid

from pydantic import EmailStr, TypeAdapter, ValidationError

from services.identity import credentials, queries
from services.identity.app import MIGRATIONS
from services.identity.domain import User
from services.identity.domain_types import normalise_email
from services.identity.events import registry
from services.identity.handlers import (
    Identity,
    StaffMember,
    create_staff_account,
    load,
    save,
)
from services.identity.passwords import PasswordHasher
from services.identity.settings import IdentitySettings
from shared.auth.claims import Role
from shared.db import create_pool, migrate
from shared.eventstore import EventContext, EventStore
from shared.wakeup import outbox_channel

SERVICE = "identity"


async def create_admin(
    settings: IdentitySettings,
    email: str,
    password: str,
    first_name: str = "Admin",
    last_name: str = "Guichet",
) -> uuid.UUID | None:
    """The new admin's id, or None when the email already had an account."""
    rules = credentials.PasswordRules(settings.password_policy, PasswordHasher())
    credentials.check(rules, password, personal=(email, first_name, last_name))
    await migrate(settings.database_url, SERVICE, MIGRATIONS)
    pool = await create_pool(settings.database_url, SERVICE, min_size=1, max_size=2)
    store = EventStore(registry, outbox_channel(SERVICE))
    try:
        if await queries.user_id_by_email(pool, normalise_email(email)):
            return None
        context = EventContext(correlation_id=f"bootstrap-{uuid.uuid4()}", actor_id="bootstrap")
        identity = Identity.configured(settings, store)
        user_id = await create_staff_account(
            pool,
            identity,
            StaffMember(
                email=email,
                first_name=first_name,
                last_name=last_name,
                language=settings.default_language,
                role=Role.VENDOR_ADMIN,
            ),
            context,
        )
        password_hash = await rules.hasher.hash_async(password)
        async with pool.acquire() as connection, connection.transaction():
            user = await load(connection, store, User, user_id)
            expires_at = await credentials.store(
                connection, user_id, password_hash, set_by_user=True, rules=rules
            )
            events = user.change_password(set_by_user=True, expires_at=expires_at)
            await save(connection, store, user, user_id, events, context)
        return user_id
    finally:
        await pool.close()


async def create_admin_command(settings: IdentitySettings) -> None:
    email = os.environ.get("GUICHET_ADMIN_EMAIL")
    password = os.environ.get("GUICHET_ADMIN_PASSWORD")
    if not email or not password:
        print("GUICHET_ADMIN_EMAIL and GUICHET_ADMIN_PASSWORD are needed.", file=sys.stderr)
        raise SystemExit(2)
    try:
        TypeAdapter(EmailStr).validate_python(email)
    except ValidationError:
        print("GUICHET_ADMIN_EMAIL is not a usable email address.", file=sys.stderr)
        raise SystemExit(2) from None
    try:
        created = await create_admin(
            settings,
            email,
            password,
            os.environ.get("GUICHET_ADMIN_FIRST_NAME", "Admin"),
            os.environ.get("GUICHET_ADMIN_LAST_NAME", "Guichet"),
        )
    except credentials.PasswordRefused as refused:
        rules = ", ".join(violation.rule for violation in refused.violations)
        print(f"The password is refused by the policy: {rules}.", file=sys.stderr)
        raise SystemExit(2) from None
    print("Administrator created." if created else "This email already has an account.")
