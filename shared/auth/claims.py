"""What an access token says: the contract between identity (which signs it), the gateway and
every service (which verify it). See docs/decisions/0006-access-tokens.md."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

# Every access token is issued for the whole portal's API; the gateway and the services refuse
# any other audience.
AUDIENCE = "guichet"
# Asymmetric and supported by every JOSE library clients use (RFC 7518). Verifiers accept this
# algorithm only, so `none` and HMAC-with-the-public-key tricks are refused by construction.
SIGNING_ALGORITHM = "ES256"


class Role(StrEnum):
    CUSTOMER_USER = "customer_user"
    CUSTOMER_ADMIN = "customer_admin"
    VENDOR_AGENT = "vendor_agent"
    VENDOR_BACK_OFFICE = "vendor_back_office"
    VENDOR_ADMIN = "vendor_admin"
    # An internal system calling with OAuth2 client credentials.
    SERVICE = "service"


VENDOR_ROLES = frozenset({Role.VENDOR_AGENT, Role.VENDOR_BACK_OFFICE, Role.VENDOR_ADMIN})
CUSTOMER_ROLES = frozenset({Role.CUSTOMER_USER, Role.CUSTOMER_ADMIN})


class Module(StrEnum):
    """Parts of the customer space a user can be given, one switch each (seed 002)."""

    PERSONAL_DATA = "personal_data"
    TICKETS = "tickets"
    INVOICES = "invoices"
    FLEET = "fleet"
    ORDERS = "orders"
    METER_READINGS = "meter_readings"


class Scope(StrEnum):
    """Scopes of internal systems' tokens (role `service`) that Guichet's own routes require;
    the vendor admin registers them on the system's OAuth client."""

    BILLING_WRITE = "billing:write"
    """The ERP: issue invoices and credit notes, report payments."""


class AccessClaims(BaseModel):
    """The payload of an access token (a JWT signed with ES256)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    iss: str
    aud: str
    sub: str = Field(description="The user's id, or the client id of an internal system")
    iat: int
    exp: int
    jti: str
    sid: str | None = Field(
        default=None, description="The sign-in session (refresh-token family) it was issued in"
    )
    org: uuid.UUID | None = Field(
        default=None, description="The organisation the user acts for; none for vendor staff"
    )
    role: Role
    modules: frozenset[Module] = frozenset()
    ipr: tuple[str, ...] = Field(
        default=(), description="Networks (CIDR) the user may call from; empty means any"
    )
    branch: uuid.UUID | None = Field(
        default=None, description="The only branch of the organisation the user may act for"
    )
    scope: str | None = Field(
        default=None,
        description="Space-separated scopes of an internal system's token (RFC 9068), as"
        " registered for its OAuth client; users' rights come from role and modules instead",
    )
