"""Value types of the tickets domain, shared by its events, aggregate and API."""

from __future__ import annotations

from enum import StrEnum


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_CUSTOMER = "waiting_for_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketType(StrEnum):
    INCIDENT = "incident"
    REQUEST = "request"
    QUESTION = "question"
    CONTACT = "contact"
    """A message to a department, from the contact form (flow 12)."""


class Nature(StrEnum):
    """The "nature de demande" of seed 004."""

    MALFUNCTION = "malfunction"
    ASSISTANCE = "assistance"
    CONFIGURATION = "configuration"
    ENHANCEMENT = "enhancement"
    OTHER = "other"


class Severity(StrEnum):
    """How badly the customer is hit (seed 004's "gravité"), apart from the priority."""

    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"
    BLOCKING = "blocking"


class Department(StrEnum):
    SALES = "sales"
    BILLING = "billing"
    TECHNICAL = "technical"
    LOGISTICS = "logistics"


class AuthorSide(StrEnum):
    """Who wrote a message: someone of the customer's organisation, or the vendor's staff."""

    CUSTOMER = "customer"
    AGENT = "agent"
