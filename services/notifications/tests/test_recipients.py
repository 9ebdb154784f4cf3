"""Who an organisation's emails go to: its referents by kind (kept from identity's
ReferentsChanged), its admins when it named none, each in their own language."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from conftest import Infrastructure
from services.identity import events as identity
from services.identity.domain_types import Referents
from services.notifications.mailer import Mailer
from services.notifications.rendering import EmailRenderer
from services.notifications.tests.identity_side import (
    VENDOR,
    Identity,
    address,
    granted,
    identity_side,
    registered,
)
from shared.http.keys import DB_POOL, SETTINGS
from tests.support import TokenIssuer

TEMPLATE = "organisation_change_approved"  # any email spoken of the organisation will do


@pytest.fixture(scope="module")
async def idp(infrastructure: Infrastructure, token_issuer: TokenIssuer) -> AsyncIterator[Identity]:
    async with identity_side(infrastructure, token_issuer) as side:
        yield side


def mailer_of(idp: Identity) -> Mailer:
    settings = idp.app[SETTINGS]
    return Mailer(settings, EmailRenderer(VENDOR))  # type: ignore[arg-type]


async def queued_to(idp: Identity, event_id: str) -> dict[str, str]:
    """recipient → language of the emails queued under one event."""
    rows = await idp.app[DB_POOL].fetch(
        "SELECT recipient, language FROM outgoing_emails WHERE event_id = $1", uuid.UUID(event_id)
    )
    return {row["recipient"]: row["language"] for row in rows}


async def send_to_referents(
    idp: Identity, organisation_id: uuid.UUID, kind: str
) -> tuple[str, int]:
    event_id = str(uuid.uuid4())
    async with idp.app[DB_POOL].acquire() as connection, connection.transaction():
        count = await mailer_of(idp).send_to_referents(
            connection,
            event_id=event_id,
            organisation_id=organisation_id,
            kind=kind,  # type: ignore[arg-type]
            template=TEMPLATE,
            values={},
        )
    return event_id, count


async def member(
    idp: Identity, organisation_id: uuid.UUID, language: str = "fr"
) -> tuple[uuid.UUID, str]:
    user_id, email = uuid.uuid4(), address()
    await idp.settled(
        user_id,
        granted(user_id, organisation_id, email, language=language),
        organisation_id=organisation_id,
    )
    return user_id, email


async def test_each_accounting_referent_is_addressed_in_their_own_language(
    idp: Identity,
) -> None:
    organisation_id = uuid.uuid4()
    await idp.settled(organisation_id, registered(organisation_id, "Imprimerie Roux"))
    first, first_email = await member(idp, organisation_id, "fr")
    second, second_email = await member(idp, organisation_id, "en")
    technical, technical_email = await member(idp, organisation_id, "en")
    await idp.settled(
        organisation_id,
        identity.ReferentsChanged(
            organisation_id=organisation_id,
            referents=Referents(technical=technical, accounting=(first, second)),
        ),
        organisation_id=organisation_id,
    )

    event_id, count = await send_to_referents(idp, organisation_id, "accounting")
    assert count == 2
    assert await queued_to(idp, event_id) == {first_email: "fr", second_email: "en"}
    event_id, _ = await send_to_referents(idp, organisation_id, "technical")
    assert await queued_to(idp, event_id) == {technical_email: "en"}
    [mail] = await idp.mail.wait_for(technical_email)
    assert "Imprimerie Roux" in mail["subject"]


async def test_a_new_set_of_referents_replaces_the_old_and_a_blocked_one_gets_nothing(
    idp: Identity,
) -> None:
    organisation_id = uuid.uuid4()
    await idp.settled(organisation_id, registered(organisation_id))
    old, _ = await member(idp, organisation_id)
    kept, kept_email = await member(idp, organisation_id)
    blocked, _ = await member(idp, organisation_id)
    for accounting in [(old, kept), (kept, blocked)]:
        await idp.settled(
            organisation_id,
            identity.ReferentsChanged(
                organisation_id=organisation_id, referents=Referents(accounting=accounting)
            ),
            organisation_id=organisation_id,
        )
    await idp.settled(
        blocked,
        identity.AccountBlocked(
            user_id=blocked, organisation_id=organisation_id, blocked_by=uuid.uuid4()
        ),
        organisation_id=organisation_id,
    )

    event_id, _ = await send_to_referents(idp, organisation_id, "accounting")
    assert await queued_to(idp, event_id) == {kept_email: "fr"}


async def test_an_organisation_without_a_dpo_has_its_active_admins_told(idp: Identity) -> None:
    organisation_id = uuid.uuid4()
    await idp.settled(organisation_id, registered(organisation_id))
    admin, admin_email = await member(idp, organisation_id, "en")
    await member(idp, organisation_id)  # a plain user: not told
    await idp.settled(
        admin,
        identity.CustomerAdminAppointed(
            user_id=admin, organisation_id=organisation_id, appointed_by=uuid.uuid4()
        ),
        organisation_id=organisation_id,
    )

    event_id, count = await send_to_referents(idp, organisation_id, "dpo")
    assert count == 1
    assert await queued_to(idp, event_id) == {admin_email: "en"}


async def test_a_referent_whose_account_is_not_known_yet_gets_it_when_it_is(
    idp: Identity,
) -> None:
    organisation_id, referent, email = uuid.uuid4(), uuid.uuid4(), address()
    await idp.settled(organisation_id, registered(organisation_id, language="en"))
    await idp.settled(
        organisation_id,
        identity.ReferentsChanged(
            organisation_id=organisation_id, referents=Referents(technical=referent)
        ),
        organisation_id=organisation_id,
    )
    event_id, count = await send_to_referents(idp, organisation_id, "technical")
    assert count == 1
    assert await queued_to(idp, event_id) == {}

    await idp.settled(
        referent, granted(referent, organisation_id, email), organisation_id=organisation_id
    )
    assert await queued_to(idp, event_id) == {email: "fr"}


async def test_without_a_usable_language_of_their_own_the_organisations_is_used(
    idp: Identity,
) -> None:
    organisation_id, email = uuid.uuid4(), address()
    await idp.settled(organisation_id, registered(organisation_id, "Acme Ltd", language="en"))
    event_id = str(uuid.uuid4())
    async with idp.app[DB_POOL].acquire() as connection, connection.transaction():
        await mailer_of(idp).send(
            connection,
            event_id=event_id,
            to=email,
            language=None,
            template=TEMPLATE,
            values={"first_name": ""},
            organisation_id=organisation_id,
        )
    assert await queued_to(idp, event_id) == {email: "en"}
    [mail] = await idp.mail.wait_for(email)
    assert "Acme Ltd" in mail["subject"]
