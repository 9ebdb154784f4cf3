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


class InterventionStatus(StrEnum):
    """An intervention on a machine (seed 003): the vendor validates and schedules it, a
    technician does it. Only a request still waiting may be cancelled by the customer."""

    WAITING_FOR_VALIDATION = "waiting_for_validation"
    """"En attente de validation / À planifier": requested, not scheduled yet."""
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class UncoveredInterventions(StrEnum):
    """What the vendor does with a request on a machine whose contract does not cover
    interventions (or that has no contract in force)."""

    REFUSE = "refuse"
    FLAG = "flag"
    """Accepted, and marked not covered for the agent who validates it (usually billed)."""
