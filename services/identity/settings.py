"""Settings of the identity service."""

from __future__ import annotations

from pydantic import Field, FilePath

from services.identity.domain_types import Language
from services.identity.passwords import PasswordPolicy
from shared.auth.claims import Module
from shared.sealing import SealingKey
from shared.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    sealing_key: SealingKey = Field(
        description="Seals one-time links in events and the signing keys at rest (base64url,"
        " 32 bytes; the same value as the notifications service's)"
    )
    password_policy: PasswordPolicy = Field(
        default_factory=PasswordPolicy,
        description='JSON, e.g. {"min_length": 12}; never weaker than the default (seed 000)',
    )
    vendor_name: str = "Guichet"
    vendor_logo_path: FilePath | None = Field(
        default=None, description="A PNG, JPEG, WebP or SVG file shown on the sign-in page"
    )
    default_language: Language = "fr"
    access_token_minutes: int = Field(default=5, ge=1, le=60)
    session_hours: int = Field(default=12, ge=1, description="A session without 'remember me'")
    remembered_session_days: int = Field(default=30, ge=1, description="With 'remember me'")
    invitation_hours: int = Field(default=72, ge=1, description="Life of an invitation link")
    reset_minutes: int = Field(default=60, ge=5, description="Life of a password-reset link")
    email_confirmation_hours: int = Field(
        default=24, ge=1, description="Life of the link confirming a new email address"
    )
    signing_key_rotation_days: int = Field(default=30, ge=1)
    sign_in_max_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins of one account before it is locked"
    )
    sign_in_ip_max_failures: int = Field(
        default=50, ge=1, description="Failed sign-ins from one address before it is locked"
    )
    sign_in_lockout_minutes: int = Field(default=15, ge=1)
    pending_modules: frozenset[Module] = Field(
        default=frozenset({Module.TICKETS}),
        description="What a self-registered user may use before activation (seed 000: ticket"
        " submission; seed 001: personal data)",
    )
    activated_modules: frozenset[Module] = Field(
        default=frozenset({Module.PERSONAL_DATA, Module.TICKETS}),
        description="What an activated self-registered user gets, until their admin changes it",
    )
    personal_data_intro: str = Field(
        default="Nous traitons vos données personnelles pour vous donner accès à votre espace"
        " client et suivre vos demandes.",
        description="The vendor's introduction text of the personal-data space",
    )
    dpo_email: str = "dpo@guichet.localhost"
    consent_purposes: tuple[str, ...] = ("newsletter", "satisfaction_surveys")
