"""Value types of the identity domain, shared by its events, aggregates and API."""

from __future__ import annotations

import ipaddress
import uuid
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

Language = Literal["fr", "en"]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
PhoneNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ().\-]{4,30}$")
]
# ISO 4217
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
OrganisationCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
]


def _network(value: str) -> str:
    """An IP address or a CIDR range, kept in its canonical form (a bare address is a /32 or
    /128). Host bits set (10.0.0.1/24) are refused rather than silently widened."""
    try:
        return str(ipaddress.ip_network(value.strip(), strict=True))
    except ValueError:
        raise ValueError("must be an IP address or a network such as 203.0.113.0/24") from None


Network = Annotated[str, AfterValidator(_network)]


class OrganisationStatus(StrEnum):
    ACTIVE = "active"
    PROSPECT = "prospect"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class MembershipStatus(StrEnum):
    """A user's standing in one organisation: the padlock of seed 000."""

    PENDING = "pending"
    ACTIVE = "active"
    BLOCKED = "blocked"


class ReferentKind(StrEnum):
    TECHNICAL = "technical"
    ACCOUNTING = "accounting"
    DPO = "dpo"


class Value(BaseModel):
    # Ignoring unknown fields lets an older consumer read a value a newer producer extended.
    model_config = ConfigDict(frozen=True, extra="ignore")


class Address(Value):
    label: ShortText = "Adresse principale"
    line1: ShortText
    line2: OptionalText = ""
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = ""
    city: ShortText
    region: OptionalText = ""
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2"
    )


class PhoneLine(Value):
    label: ShortText
    number: PhoneNumber


class Branch(Value):
    branch_id: uuid.UUID
    name: ShortText
    address: Address | None = None


class OrganisationDetails(Value):
    """What the back office sets and a customer admin may ask to change."""

    legal_name: ShortText
    billing_address: Address | None = None
    shipping_address: Address | None = None
    phone_lines: tuple[PhoneLine, ...] = ()
    branches: tuple[Branch, ...] = ()


class Referents(Value):
    technical: uuid.UUID | None = None
    accounting: tuple[uuid.UUID, ...] = ()
    dpo: uuid.UUID | None = None

    def users(self) -> set[uuid.UUID]:
        named = {self.technical, self.dpo, *self.accounting}
        return {user for user in named if user is not None}


class ContactDetails(Value):
    first_name: OptionalText = ""
    last_name: ShortText
    title: OptionalText = Field(default="", description="Function, e.g. 'Responsable stock'")
    department: OptionalText = ""
    contact_type: OptionalText = Field(default="", description="e.g. 'Opérations'")
    email: EmailStr | None = None
    phone: OptionalText = ""
    mobile: OptionalText = ""
    fax: OptionalText = ""


def normalise_email(email: str) -> str:
    """The one form of an email address used to find an account and to count sign-in
    attempts: 'Jo.Doe@Example.COM ' and 'jo.doe@example.com' are the same person."""
    return email.strip().lower()
