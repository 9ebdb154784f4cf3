"""The public API's route table: which service answers a path, and who may call it.

Upstream path = public path minus `/api` (root paths such as `/.well-known/…` go through
unchanged). The longest matching prefix wins, on whole path segments. Adding a service is
adding rows here and its URL to GUICHET_UPSTREAMS.

Every path no other row takes goes to the web portal (one origin for pages and API), except
under `/api`: the API's namespace is closed, an unknown API path is a 404 problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.auth.claims import VENDOR_ROLES, Module, Role, Scope

API_PREFIX = "/api"


@dataclass(frozen=True)
class Route:
    prefix: str
    service: str
    public: bool = False
    module: Module | None = None
    """Needed by every role but vendor staff (see docs/api.md)."""
    roles: frozenset[Role] | None = None
    """When set, only these roles get through (the service checks finer rules itself)."""
    scope: Scope | None = None
    """The scope an internal system's token (role `service`) needs here. Internal systems get
    through only routes that name one, and that allow their role; other roles are unaffected."""
    methods: frozenset[str] | None = None
    """When set, other methods are answered 405 here."""
    exact: bool = False
    """Only the path itself, not the paths below it."""
    sign_in: bool = False
    """Counted against the per-IP limit of credential attempts."""
    pages: bool = False
    """The web portal's pages: not part of the API (no OpenAPI document, never under /api)."""

    @property
    def upstream_prefix(self) -> str:
        if self.prefix == API_PREFIX or self.prefix.startswith(API_PREFIX + "/"):
            return self.prefix[len(API_PREFIX) :] or "/"
        return self.prefix

    def matches(self, path: str) -> bool:
        if path == self.prefix:
            return True
        return not self.exact and path.startswith(self.prefix.rstrip("/") + "/")

    def upstream_path(self, path: str) -> str:
        return self.upstream_prefix.rstrip("/") + path[len(self.prefix.rstrip("/")) :] or "/"

    def public_path(self, upstream_path: str) -> str | None:
        """The public path of an upstream path this route serves, or None."""
        prefix = self.upstream_prefix.rstrip("/")
        if upstream_path == self.upstream_prefix or (
            not self.exact and upstream_path.startswith(prefix + "/")
        ):
            return self.prefix.rstrip("/") + upstream_path[len(prefix) :]
        return None


POST = frozenset({"POST"})
GET = frozenset({"GET", "HEAD"})
CUSTOMER_ADMINS = frozenset({Role.CUSTOMER_ADMIN})
VENDOR_STAFF = VENDOR_ROLES
VENDOR_ADMINS = frozenset({Role.VENDOR_ADMIN})
BACK_OFFICE_AND_SYSTEMS = frozenset({Role.VENDOR_BACK_OFFICE, Role.VENDOR_ADMIN, Role.SERVICE})
SYSTEMS = frozenset({Role.SERVICE})


def _identity_public(path: str, methods: frozenset[str] = POST, **options: bool) -> Route:
    return Route(path, "identity", public=True, methods=methods, exact=True, **options)


ROUTES: tuple[Route, ...] = (
    # identity, public: signing in and what a signed-out page needs
    _identity_public("/api/auth/sign-in", sign_in=True),
    _identity_public("/api/auth/refresh"),
    _identity_public("/api/auth/sign-out"),
    _identity_public("/api/auth/password/forgot", sign_in=True),
    _identity_public("/api/auth/password/reset", sign_in=True),
    _identity_public("/api/auth/password/expired", sign_in=True),
    _identity_public("/api/auth/email/confirmation", sign_in=True),
    _identity_public("/api/auth/password-policy", GET),
    _identity_public("/api/auth/password-policy/check"),
    _identity_public("/api/auth/register", sign_in=True),
    _identity_public("/api/branding", GET),
    _identity_public("/api/branding/logo", GET),
    # OAuth 2.0: the authorization page posts credentials (counted like a sign-in); the token
    # endpoint is not, or mobile apps refreshing behind one carrier NAT would be throttled.
    _identity_public("/api/oauth/authorize", GET | POST, sign_in=True),
    _identity_public("/api/oauth/token"),
    _identity_public("/.well-known/jwks.json", GET),
    _identity_public("/.well-known/openid-configuration", GET),
    # identity, signed in
    Route("/api/auth/switch-organisation", "identity", methods=POST, exact=True),
    Route("/api/me", "identity"),
    Route("/api/me/personal-data", "identity", module=Module.PERSONAL_DATA),
    Route("/api/me/consents", "identity", module=Module.PERSONAL_DATA),
    Route("/api/me/export", "identity", module=Module.PERSONAL_DATA),
    Route("/api/me/erasure-request", "identity", module=Module.PERSONAL_DATA),
    Route("/api/organisation", "identity", roles=CUSTOMER_ADMINS),
    Route("/api/organisations", "identity", roles=VENDOR_STAFF),
    Route("/api/contacts", "identity", roles=VENDOR_STAFF),
    Route("/api/staff", "identity", roles=VENDOR_STAFF),
    Route("/api/change-requests", "identity", roles=VENDOR_STAFF),
    Route("/api/oauth-clients", "identity", roles=VENDOR_ADMINS),
    # tickets
    Route("/api/tickets", "tickets", module=Module.TICKETS),
    Route("/api/agent/tickets", "tickets", roles=VENDOR_STAFF),
    # interventions on a machine: tickets' service, the fleet module's
    Route("/api/interventions", "tickets", module=Module.FLEET),
    Route("/api/agent/interventions", "tickets", roles=VENDOR_STAFF),
    # notifications
    Route("/api/me/notification-preferences", "notifications", exact=True),
    Route("/api/organisation/email-log", "notifications", roles=CUSTOMER_ADMINS, exact=True),
    Route("/api/email-log", "notifications", roles=VENDOR_STAFF, exact=True),
    Route("/api/organisation/webhooks", "notifications", roles=CUSTOMER_ADMINS),
    # fleet
    Route("/api/fleet", "fleet", module=Module.FLEET),
    Route("/api/meter-readings", "fleet", module=Module.METER_READINGS),
    Route("/api/agent/fleet", "fleet", roles=VENDOR_STAFF),
    # the vendor's ERP (client credentials with the scope) or the back office
    Route(
        "/api/import/fleet",
        "fleet",
        roles=BACK_OFFICE_AND_SYSTEMS,
        methods=POST,
        exact=True,
        scope=Scope.FLEET_IMPORT,
    ),
    # billing: customers with the invoices module and staff read; the ERP writes
    Route("/api/invoices", "billing", module=Module.INVOICES, methods=GET),
    Route("/api/invoices/archive", "billing", module=Module.INVOICES, methods=POST, exact=True),
    Route(
        "/api/erp/invoices",
        "billing",
        roles=SYSTEMS,
        scope=Scope.BILLING_WRITE,
        methods=POST,
        exact=True,
    ),
    Route(
        "/api/erp/payments",
        "billing",
        roles=SYSTEMS,
        scope=Scope.BILLING_WRITE,
        methods=POST,
        exact=True,
    ),
    # orders: the cart and the customer's orders (a machine's consumables under /api/orders)
    Route("/api/cart", "orders", module=Module.ORDERS),
    Route("/api/orders", "orders", module=Module.ORDERS),
    Route("/api/agent/orders", "orders", roles=VENDOR_STAFF),
    # the web portal: every other path (its pages check the session themselves)
    Route("/", "web", public=True, pages=True),
)


def under_api(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


class RouteTable:
    def __init__(self, routes: Iterable[Route] = ROUTES) -> None:
        # Longest prefix first, so the first match is the most specific.
        self.routes = sorted(routes, key=lambda route: len(route.prefix), reverse=True)

    def match(self, path: str) -> Route | None:
        for route in self.routes:
            if route.matches(path):
                return None if route.pages and under_api(path) else route
        return None

    def services(self) -> list[str]:
        """The services of the API (the portal's pages are not part of it)."""
        return sorted({route.service for route in self.routes if not route.pages})

    def public_path(self, service: str, upstream_path: str) -> str | None:
        """Where the gateway exposes a service's path, if it does; the most specific route."""
        for route in self.routes:
            if route.service != service:
                continue
            public = route.public_path(upstream_path)
            if public is not None and self.match(public) is route:
                return public
        return None
