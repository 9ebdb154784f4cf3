"""The catalogue of notification categories a user chooses from, and which category each
email template belongs to. Security emails are mandatory: nobody can turn them off."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    SECURITY = "security"
    """Access and credentials: invitation, password reset and change, address change,
    account activated or blocked. Mandatory."""
    ORGANISATION = "organisation"
    """Running the organisation's space: registrations to approve, change requests decided,
    webhooks disabled."""
    TICKETS = "tickets"
    FLEET = "fleet"
    """Interventions and meter readings."""
    ORDERS = "orders"
    INVOICES = "invoices"


MANDATORY: frozenset[Category] = frozenset({Category.SECURITY})

# Templates named one by one; the domain services' families by their prefix below, so that a
# new `ticket_…` or `order_…` email lands in its category without touching this table.
_TEMPLATES: dict[str, Category] = {
    "portal_invitation": Category.SECURITY,
    "portal_access_added": Category.SECURITY,
    "staff_account_created": Category.SECURITY,
    "registration_pending": Category.SECURITY,
    "account_activated": Category.SECURITY,
    "account_blocked": Category.SECURITY,
    "password_reset": Category.SECURITY,
    "password_changed": Category.SECURITY,
    "email_change_confirmation": Category.SECURITY,
    "email_changed": Category.SECURITY,
    "registration_to_approve": Category.ORGANISATION,
    "organisation_change_approved": Category.ORGANISATION,
    "organisation_change_rejected": Category.ORGANISATION,
    "webhook_disabled": Category.ORGANISATION,
}
_PREFIXES: dict[str, Category] = {
    "ticket_": Category.TICKETS,
    "intervention_": Category.FLEET,
    "meter_reading_": Category.FLEET,
    "order_": Category.ORDERS,
    "invoice_": Category.INVOICES,
}


class UncategorisedTemplate(LookupError):
    """A template the catalogue does not place: every email must have a category."""


def category_of(template: str) -> Category:
    if template in _TEMPLATES:
        return _TEMPLATES[template]
    for prefix, category in _PREFIXES.items():
        if template.startswith(prefix):
            return category
    raise UncategorisedTemplate(f"email template {template!r} has no notification category")
