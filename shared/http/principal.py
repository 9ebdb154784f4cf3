"""Who is acting, and for which organisation: the verified identity of a request.

The identity comes from the access token alone (verified by the `authentication`
middleware of `create_service_app`), never from the body, the URL or a header a client could
set. Every query and every appended event is scoped by `principal.acting_organisation()`.

    principal = acting_principal(request)          # 401 without a valid token
    organisation = principal.acting_organisation() # 403 when acting for no organisation
    require_role(principal, Role.CUSTOMER_ADMIN)   # 403 otherwise
    require_module(principal, Module.TICKETS)      # 403 for a customer without the module
    require_scope(principal, Scope.BILLING_WRITE)  # 403 unless an internal system with it
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiohttp import web

from shared.auth.claims import VENDOR_ROLES, AccessClaims, Module, Role, Scope
from shared.http.authentication import AUTHENTICATION
from shared.http.problems import Problem

UNAUTHENTICATED = "https://guichet.dev/problems/unauthenticated"
FORBIDDEN = "https://guichet.dev/problems/forbidden"


@dataclass(frozen=True)
class Principal:
    user_id: str
    """The token's subject: a user's id, or an internal system's client id."""
    role: Role
    organisation_id: uuid.UUID | None
    modules: frozenset[Module]
    branch_id: uuid.UUID | None
    session_id: str | None
    networks: tuple[str, ...] = ()
    """Networks (CIDR) the user may call from; empty: any (enforced by the gateway)."""
    scopes: frozenset[str] = frozenset()
    """An internal system's scopes (role `service`, client credentials); empty for users."""

    @classmethod
    def from_claims(cls, claims: AccessClaims) -> Principal:
        return cls(
            user_id=claims.sub,
            role=claims.role,
            organisation_id=claims.org,
            modules=claims.modules,
            branch_id=claims.branch,
            session_id=claims.sid,
            networks=claims.ipr,
            scopes=frozenset(claims.scope.split()) if claims.scope else frozenset(),
        )

    @property
    def is_vendor_staff(self) -> bool:
        return self.role in VENDOR_ROLES

    def acting_organisation(self) -> uuid.UUID:
        """The organisation this request acts for; 403 when the token acts for none."""
        if self.organisation_id is None:
            raise forbidden("This request must act for an organisation; the token names none.")
        return self.organisation_id

    def has_module(self, module: Module) -> bool:
        """Vendor staff are not subject to module rights; everyone else needs the module."""
        return self.is_vendor_staff or module in self.modules


def acting_principal(request: web.Request) -> Principal:
    """The verified identity of the request: 401 problem without a valid token, 503 when the
    keys to check it cannot be had."""
    outcome = request.get(AUTHENTICATION)
    if outcome is not None and outcome.claims is not None:
        return Principal.from_claims(outcome.claims)
    if outcome is not None and outcome.keys_unavailable:
        raise Problem(
            503,
            "Service unavailable",
            "Access tokens cannot be checked right now. Try again shortly.",
            headers={"Retry-After": "5"},
        )
    if outcome is None or outcome.failure is None:
        raise Problem(
            401,
            "Unauthenticated",
            "Sign in and send the access token as `Authorization: Bearer …`.",
            type_=UNAUTHENTICATED,
            headers={"WWW-Authenticate": 'Bearer realm="guichet"'},
        )
    raise Problem(
        401,
        "Unauthenticated",
        "The access token is invalid or expired. Refresh it or sign in again.",
        type_=UNAUTHENTICATED,
        headers={"WWW-Authenticate": 'Bearer realm="guichet", error="invalid_token"'},
    )


def forbidden(detail: str) -> Problem:
    return Problem(403, "Forbidden", detail, type_=FORBIDDEN)


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise forbidden("Your role does not allow this.")


def require_module(principal: Principal, module: Module) -> None:
    if not principal.has_module(module):
        raise forbidden(f"Your access does not include the {module.value} module.")


def require_scope(principal: Principal, scope: Scope) -> None:
    """Only an internal system (role `service`) whose token carries the scope."""
    if principal.role is not Role.SERVICE or scope.value not in principal.scopes:
        raise forbidden(f"Only an internal system with the {scope.value} scope can do this.")
