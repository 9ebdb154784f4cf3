"""Identity's events become the emails a user expects: appended to an identity event store
through the kit, relayed to the real broker, consumed by one notifications service shared by
the module, read back from the real SMTP catcher."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import Infrastructure
from services.identity import events as identity
from services.notifications.tests.identity_side import (
    PORTAL,
    VENDOR,
    Identity,
    address,
    granted,
    identity_side,
    one_mail,
    registered,
    self_registered,
)
from shared.auth.claims import Module, Role
from tests.support import TokenIssuer

EXPIRES_FR = "1er mars 2031 à 14:05 (heure de Paris)"
EXPIRES_EN = "1 March 2031 at 14:05 (Paris time)"
DASH = "\N{EN DASH}"  # subjects name the organisation after one
HOSTILE = "<script>alert('x')</script> & Fils"
HOSTILE_ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Fils"


@pytest.fixture(scope="module")
async def idp(infrastructure: Infrastructure, token_issuer: TokenIssuer) -> AsyncIterator[Identity]:
    async with identity_side(infrastructure, token_issuer) as side:
        yield side


def token_in_text(mail: dict[str, Any], path: str) -> str:
    [link] = re.findall(re.escape(PORTAL + path) + r"\?\S+", mail["text"])
    return parse_qs(urlsplit(link).query)["token"][0]


def tokens_in_html(mail: dict[str, Any], path: str) -> set[str]:
    links = re.findall(r'href="(' + re.escape(PORTAL + path) + r'\?[^"]+)"', mail["html"])
    assert links
    return {parse_qs(urlsplit(html.unescape(link)).query)["token"][0] for link in links}


# --- the invitation and access emails --------------------------------------------------------


async def test_an_invited_user_gets_their_code_and_a_working_link_in_french(
    idp: Identity, caplog: pytest.LogCaptureFixture
) -> None:
    organisation_id, user_id, email = uuid.uuid4(), uuid.uuid4(), address()
    await idp.settled(organisation_id, registered(organisation_id, legal_name=HOSTILE))
    token, link = idp.invitation(user_id)
    await idp.publish(
        user_id,
        granted(user_id, organisation_id, email, invitation=link, user_code="MDUPONT42"),
        organisation_id=organisation_id,
    )

    mail = await one_mail(idp, email)
    assert mail["subject"] == f"Votre accès à l'espace client {VENDOR} {DASH} {HOSTILE}"
    assert '<html lang="fr">' in mail["html"]
    assert "Bonjour Marie," in mail["text"]
    assert "Votre identifiant : MDUPONT42" in mail["text"]
    assert f"« {HOSTILE} »" in mail["text"]
    assert token_in_text(mail, "password/set") == token
    assert tokens_in_html(mail, "password/set") == {token}
    assert f"Il expire le {EXPIRES_FR}" in mail["text"]
    assert EXPIRES_FR in mail["html"]
    assert "MDUPONT42" in mail["html"]
    assert VENDOR in mail["html"]
    # The legal name is shown as text, never as markup.
    assert HOSTILE_ESCAPED in mail["html"]
    assert "<script>" not in mail["html"]
    assert link.sealed_token not in mail["text"] + mail["html"]
    # Logs name ids, never the token, the address or the names.
    assert "email queued" in caplog.text
    for secret in (token, email, "Marie", "Dupont", HOSTILE):
        assert secret not in caplog.text


async def test_an_invited_user_who_reads_english_gets_it_in_english(idp: Identity) -> None:
    organisation_id, user_id, email = uuid.uuid4(), uuid.uuid4(), address()
    await idp.settled(organisation_id, registered(organisation_id, "Acme Ltd", language="fr"))
    token, link = idp.invitation(user_id)
    await idp.publish(
        user_id,
        granted(user_id, organisation_id, email, language="en", invitation=link),
        organisation_id=organisation_id,
    )

    mail = await one_mail(idp, email)
    assert mail["subject"] == f"Your access to the {VENDOR} customer portal {DASH} Acme Ltd"
    assert '<html lang="en">' in mail["html"]
    assert "Your user ID: MDUPONT" in mail["text"]
    assert token_in_text(mail, "password/set") == token
    assert tokens_in_html(mail, "password/set") == {token}
    assert f"It expires on {EXPIRES_EN}" in mail["text"]


async def test_an_organisation_not_known_yet_gets_a_neutral_wording(idp: Identity) -> None:
    organisation_id, user_id, email = uuid.uuid4(), uuid.uuid4(), address()
    token, link = idp.invitation(user_id)
    # The organisation's own event is still on its way (another aggregate, any order).
    await idp.publish(
        user_id,
        granted(user_id, organisation_id, email, invitation=link),
        organisation_id=organisation_id,
    )

    mail = await one_mail(idp, email)
    assert mail["subject"] == f"Votre accès à l'espace client {VENDOR}"
    assert f"Votre accès à l'espace client {VENDOR} vient d'être créé." in mail["text"]
    assert token_in_text(mail, "password/set") == token


async def test_a_user_who_already_has_a_password_is_told_of_the_new_organisation(
    idp: Identity,
) -> None:
    organisation_id, user_id, email = uuid.uuid4(), uuid.uuid4(), address()
    await idp.settled(organisation_id, registered(organisation_id, "Garage Lefèvre"))
    await idp.publish(
        user_id, granted(user_id, organisation_id, email), organisation_id=organisation_id
    )

    mail = await one_mail(idp, email)
    assert mail["subject"] == f"Vous avez désormais accès à « Garage Lefèvre » sur {VENDOR}"
    assert "l'espace client de « Garage Lefèvre »" in mail["text"]
    assert f"Accéder à l'espace client : {PORTAL}" in mail["text"]
    assert "password/set" not in mail["text"] + mail["html"]
    assert f'href="{PORTAL}"' in mail["html"]


async def test_a_new_staff_member_gets_their_code_and_link(idp: Identity) -> None:
    user_id, email = uuid.uuid4(), address("agent")
    token, link = idp.invitation(user_id)
    await idp.publish(
        user_id,
        identity.StaffAccountCreated(
            user_id=user_id,
            user_code="AGENT7",
            email=email,
            first_name="Luc",
            last_name="Bernard",
            language="en",
            role=Role.VENDOR_AGENT,
            invitation=link,
        ),
    )

    mail = await one_mail(idp, email)
    assert mail["subject"] == f"Your {VENDOR} staff account has been created"
    assert "Your user ID: AGENT7" in mail["text"]
    assert token_in_text(mail, "password/set") == token
    assert tokens_in_html(mail, "password/set") == {token}
    assert EXPIRES_EN in mail["text"]


async def test_a_staff_member_without_an_invitation_is_sent_to_the_sign_in_page(
    idp: Identity,
) -> None:
    user_id, email = uuid.uuid4(), address("agent")
    await idp.publish(
        user_id,
        identity.StaffAccountCreated(
            user_id=user_id,
            user_code="AGENT8",
            email=email,
            first_name="Léa",
            last_name="Petit",
            language="fr",
            role=Role.VENDOR_BACK_OFFICE,
        ),
    )

    mail = await one_mail(idp, email)
    assert mail["subject"] == f"Votre compte collaborateur {VENDOR} a été créé"
    assert "Votre identifiant : AGENT8" in mail["text"]
    assert f"Connectez-vous au portail : {PORTAL}" in mail["text"]
    assert "password/set" not in mail["text"] + mail["html"]


# --- passwords -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "subject", "expiry", "ignore"),
    [
        (
            "fr",
            f"Réinitialisation de votre mot de passe {VENDOR}",
            EXPIRES_FR,
            "Si vous n'êtes pas à l'origine de cette demande, ignorez simplement ce message",
        ),
        ("en", f"Reset your {VENDOR} password", EXPIRES_EN, "If you did not ask for this"),
    ],
)
async def test_a_reset_link_is_sent_in_the_users_language(
    idp: Identity, language: str, subject: str, expiry: str, ignore: str
) -> None:
    user_id, email = uuid.uuid4(), address()
    token, link = idp.invitation(user_id)
    await idp.publish(
        user_id,
        identity.PasswordResetRequested(
            user_id=user_id, email=email, language=language, reset=link
        ),
    )

    mail = await one_mail(idp, email)
    assert mail["subject"] == subject
    assert f'<html lang="{language}">' in mail["html"]
    assert token_in_text(mail, "password/reset") == token
    assert tokens_in_html(mail, "password/reset") == {token}
    assert expiry in mail["text"]
    assert ignore in mail["text"]


async def test_a_changed_password_is_a_security_notice_to_its_owner(idp: Identity) -> None:
    organisation_id, user_id, email = uuid.uuid4(), uuid.uuid4(), address()
    await idp.publish(
        user_id,
        granted(user_id, organisation_id, email, language="en"),
        identity.PasswordChanged(user_id=user_id, set_by_user=True),
        organisation_id=organisation_id,
    )

    [*_, changed] = await idp.mail.wait_for(email, count=2)
    assert changed["subject"] == (
        f"Security notice: the password of your {VENDOR} account was changed"
    )
    assert f"The password of your {VENDOR} account was changed on " in changed["text"]
    assert "If not, reset your password right away" in changed["text"]


async def test_choosing_the_first_password_sends_no_security_notice(idp: Identity) -> None:
    organisation_id, user_id, email = uuid.uuid4(), uuid.uuid4(), address()
    await idp.publish(
        user_id,
        granted(user_id, organisation_id, email, language="en"),
        identity.PasswordChanged(user_id=user_id, set_by_user=True, first_set=True),
        identity.PasswordChanged(user_id=user_id, set_by_user=True),
        organisation_id=organisation_id,
    )

    # In stream order: once the second change's notice is here, the first was handled.
    mails = await idp.mail.wait_for(email, count=2)
    subjects = [mail["subject"] for mail in await idp.mail.to(email)]
    assert len(mails) == len(subjects) == 2
    assert sum(subject.startswith("Security notice") for subject in subjects) == 1


async def test_a_password_set_by_an_administrator_says_so_in_french(idp: Identity) -> None:
    organisation_id, user_id, email = uuid.uuid4(), uuid.uuid4(), address()
    await idp.publish(
        user_id,
        granted(user_id, organisation_id, email),
        # Even as the account's first password: the user must hear they have one to change.
        identity.PasswordChanged(user_id=user_id, set_by_user=False, first_set=True),
        organisation_id=organisation_id,
    )

    mails = await idp.mail.wait_for(email, count=2)
    [changed] = [mail for mail in mails if mail["subject"].startswith("Sécurité")]
    assert "par un administrateur" in changed["text"]
    assert "Vous devrez le changer à votre prochaine connexion." in changed["text"]


async def test_a_new_address_is_confirmed_there_and_the_old_one_is_told(idp: Identity) -> None:
    organisation_id, user_id = uuid.uuid4(), uuid.uuid4()
    old_email, new_email = address("old"), address("new")
    token, link = idp.invitation(user_id)
    await idp.publish(
        user_id,
        granted(user_id, organisation_id, old_email, language="en"),
        identity.EmailChangeRequested(
            user_id=user_id, new_email=new_email, language="en", confirmation=link
        ),
        organisation_id=organisation_id,
    )
    confirmation = await one_mail(idp, new_email, "Confirm your new")
    assert token_in_text(confirmation, "email/confirm") == token
    assert tokens_in_html(confirmation, "email/confirm") == {token}
    assert new_email in confirmation["text"]

    await idp.publish(
        user_id,
        identity.EmailChanged(user_id=user_id, previous_email=old_email, email=new_email),
        identity.AccountBlocked(
            user_id=user_id, organisation_id=organisation_id, blocked_by=uuid.uuid4()
        ),
        organisation_id=organisation_id,
    )
    [*_, notice] = await idp.mail.wait_for(old_email, count=2)
    assert notice["subject"].startswith("Security notice: your")
    assert f"signs in with {new_email} instead of this address" in notice["text"]
    # What follows goes to the new address.
    [_, blocked] = await idp.mail.wait_for(new_email, count=2)
    assert blocked["subject"].endswith("customer portal has been removed")
    assert len(await idp.mail.to(old_email)) == 2


# --- self-registration and the padlock -------------------------------------------------------


async def test_a_self_registration_asks_the_active_admins_and_tells_the_applicant(
    idp: Identity,
) -> None:
    organisation_id = uuid.uuid4()
    admin_id, admin_email = uuid.uuid4(), address("admin")
    former_admin_id, former_admin_email = uuid.uuid4(), address("former-admin")
    user_id, user_email = uuid.uuid4(), address("applicant")
    await idp.settled(organisation_id, registered(organisation_id, "Transports Roux"))
    for admin, email, language in (
        (admin_id, admin_email, "en"),
        (former_admin_id, former_admin_email, "fr"),
    ):
        await idp.settled(
            admin,
            granted(admin, organisation_id, email, language=language, first_name="Anne"),
            identity.CustomerAdminAppointed(
                user_id=admin, organisation_id=organisation_id, appointed_by=uuid.uuid4()
            ),
            organisation_id=organisation_id,
        )
    await idp.settled(
        former_admin_id,
        identity.AccountBlocked(
            user_id=former_admin_id, organisation_id=organisation_id, blocked_by=uuid.uuid4()
        ),
        organisation_id=organisation_id,
    )
    await idp.mail.wait_for(former_admin_email, count=2)  # access, then blocked
    demoted_id, demoted_email = uuid.uuid4(), address("demoted-admin")
    await idp.settled(
        demoted_id,
        granted(demoted_id, organisation_id, demoted_email),
        identity.CustomerAdminAppointed(
            user_id=demoted_id, organisation_id=organisation_id, appointed_by=uuid.uuid4()
        ),
        identity.CustomerAdminRevoked(
            user_id=demoted_id, organisation_id=organisation_id, revoked_by=admin_id
        ),
        organisation_id=organisation_id,
    )
    await idp.publish(
        user_id,
        self_registered(user_id, organisation_id, user_email, first_name="<b>Jean</b>"),
        organisation_id=organisation_id,
    )

    applicant = await one_mail(idp, user_email)
    assert applicant["subject"] == f"Votre compte {VENDOR} est en attente d'activation"
    assert "doit maintenant être activé par un administrateur" in applicant["text"]
    assert "Votre identifiant : JMARTIN" in applicant["text"]

    [*_, request] = await idp.mail.wait_for(admin_email, count=2)
    assert '<html lang="en">' in request["html"]
    assert request["subject"] == (
        f"<b>Jean</b> Martin is waiting for you to activate their {VENDOR} account"
    )
    assert f"<b>Jean</b> Martin ({user_email}, Comptable) created an account" in request["text"]
    assert "Transports Roux" in request["text"]
    assert f"Manage users: {PORTAL}organisation/users" in request["text"]
    assert f'href="{PORTAL}organisation/users"' in request["html"]
    assert "&lt;b&gt;Jean&lt;/b&gt;" in request["html"]
    assert "<b>Jean</b>" not in request["html"]
    # Neither a blocked admin nor one whose role was removed is asked.
    assert len(await idp.mail.to(former_admin_email)) == 2
    assert len(await idp.mail.to(demoted_email)) == 1  # their access


async def test_activation_then_blocking_are_told_to_the_user(idp: Identity) -> None:
    organisation_id, user_id, email = uuid.uuid4(), uuid.uuid4(), address()
    await idp.settled(organisation_id, registered(organisation_id, "Boulangerie Petit"))
    await idp.publish(
        user_id,
        self_registered(user_id, organisation_id, email, language="en"),
        identity.AccountActivated(
            user_id=user_id,
            organisation_id=organisation_id,
            modules=frozenset({Module.TICKETS}),
            activated_by=uuid.uuid4(),
        ),
        identity.AccountBlocked(
            user_id=user_id, organisation_id=organisation_id, blocked_by=uuid.uuid4()
        ),
        organisation_id=organisation_id,
    )

    mails = {mail["subject"]: mail for mail in await idp.mail.wait_for(email, count=3)}
    activated = mails[f"Your {VENDOR} account is active {DASH} Boulangerie Petit"]
    assert "is now active" in activated["text"]
    assert '<html lang="en">' in activated["html"]
    blocked = mails[
        f"Your access to the {VENDOR} customer portal {DASH} Boulangerie Petit has been removed"
    ]
    assert "has been removed" in blocked["text"]


# --- organisation change requests ------------------------------------------------------------


async def test_the_requester_learns_the_decision_with_the_reason(idp: Identity) -> None:
    organisation_id, user_id, email = uuid.uuid4(), uuid.uuid4(), address()
    await idp.settled(organisation_id, registered(organisation_id, "Cabinet Moreau"))
    await idp.settled(
        user_id, granted(user_id, organisation_id, email), organisation_id=organisation_id
    )
    await idp.publish(
        organisation_id,
        identity.OrganisationChangeApproved(
            request_id=uuid.uuid4(),
            organisation_id=organisation_id,
            requested_by=user_id,
            decided_by=uuid.uuid4(),
        ),
        identity.OrganisationChangeRejected(
            request_id=uuid.uuid4(),
            organisation_id=organisation_id,
            requested_by=user_id,
            decided_by=uuid.uuid4(),
            reason="Le SIRET <b>123</b> ne correspond pas",
        ),
        organisation_id=organisation_id,
    )

    mails = {mail["subject"]: mail for mail in await idp.mail.wait_for(email, count=3)}
    approved = mails[f"Votre demande de modification {DASH} Cabinet Moreau a été acceptée"]
    assert "a été acceptée par nos services" in approved["text"]
    rejected = mails[f"Votre demande de modification {DASH} Cabinet Moreau n'a pas été acceptée"]
    assert "Motif : Le SIRET <b>123</b> ne correspond pas" in rejected["text"]
    assert "Motif : Le SIRET &lt;b&gt;123&lt;/b&gt; ne correspond pas" in rejected["html"]


async def test_an_email_for_a_user_not_known_yet_waits_for_their_account(idp: Identity) -> None:
    organisation_id, user_id, email = uuid.uuid4(), uuid.uuid4(), address()
    await idp.settled(organisation_id, registered(organisation_id, "Menuiserie Blanc"))
    # The decision, on the organisation's stream, overtakes the user's own account event.
    await idp.settled(
        organisation_id,
        identity.OrganisationChangeApproved(
            request_id=uuid.uuid4(),
            organisation_id=organisation_id,
            requested_by=user_id,
            decided_by=uuid.uuid4(),
        ),
        organisation_id=organisation_id,
    )
    await idp.publish(
        user_id, granted(user_id, organisation_id, email), organisation_id=organisation_id
    )

    subjects = {mail["subject"] for mail in await idp.mail.wait_for(email, count=2)}
    assert f"Votre demande de modification {DASH} Menuiserie Blanc a été acceptée" in subjects


# --- exactly once ----------------------------------------------------------------------------


async def test_redelivered_events_send_no_second_email(idp: Identity) -> None:
    organisation_id = uuid.uuid4()
    admin_id, admin_email = uuid.uuid4(), address("admin")
    user_id, user_email = uuid.uuid4(), address("applicant")
    await idp.settled(organisation_id, registered(organisation_id, "Pharmacie Garnier"))
    await idp.settled(
        admin_id,
        granted(admin_id, organisation_id, admin_email),
        identity.CustomerAdminAppointed(
            user_id=admin_id, organisation_id=organisation_id, appointed_by=uuid.uuid4()
        ),
        organisation_id=organisation_id,
    )
    _, link = idp.invitation(user_id)
    reset = identity.PasswordResetRequested(
        user_id=user_id, email=user_email, language="fr", reset=link
    )
    [registration, reset_requested] = await idp.publish(
        user_id,
        self_registered(user_id, organisation_id, user_email),
        reset,
        organisation_id=organisation_id,
    )
    await idp.mail.wait_for(user_email, count=2)
    await idp.mail.wait_for(admin_email, count=2)

    await idp.deliver_again(registration)
    await idp.deliver_again(reset_requested)
    # Same stream, so same partition, after the copies: once it is mailed, they were handled.
    await idp.publish(user_id, identity.PasswordChanged(user_id=user_id, set_by_user=True))
    await idp.mail.wait_for(user_email, count=3)

    assert len(await idp.mail.to(user_email)) == 3  # pending, reset, password changed
    assert len(await idp.mail.to(admin_email)) == 2  # access granted, activation request
