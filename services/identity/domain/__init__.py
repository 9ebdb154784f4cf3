"""Identity's aggregates: organisations, contacts and users. State is folded from events; a
command checks invariants and returns new events. No I/O."""

from services.identity.domain.contact import Contact
from services.identity.domain.errors import InvalidCommand, RuleBroken
from services.identity.domain.organisation import Organisation, PendingChange
from services.identity.domain.user import Membership, User

__all__ = [
    "Contact",
    "InvalidCommand",
    "Membership",
    "Organisation",
    "PendingChange",
    "RuleBroken",
    "User",
]
