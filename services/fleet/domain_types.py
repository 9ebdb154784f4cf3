"""Value types of the fleet domain, shared by its events, aggregates and API."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints


class AssetStatus(StrEnum):
    IN_SERVICE = "in_service"
    OUT_OF_SERVICE = "out_of_service"
    """Stopped (broken down, waiting for a part): still the customer's, still counted."""
    WITHDRAWN = "withdrawn"
    """Taken back or scrapped: kept for its history, takes no reading and no change."""


class ContractType(StrEnum):
    RENTAL = "rental"
    LEASE = "lease"
    MAINTENANCE = "maintenance"
    FULL_SERVICE = "full_service"
    """Cost per page, everything included (the usual office-equipment contract)."""
    SUPPORT = "support"


class Counter(StrEnum):
    """The meters a machine can have (seed 003: "noir & blanc, couleur…"). A model lists
    which of these its machines have; readings name them."""

    BLACK_AND_WHITE = "black_and_white"
    COLOUR = "colour"
    BLACK_AND_WHITE_LARGE = "black_and_white_large"
    COLOUR_LARGE = "colour_large"
    SCANS = "scans"


class ReadingSource(StrEnum):
    CUSTOMER = "customer"
    BACK_OFFICE = "back_office"


# The vendor's ERP identifies everything by its own reference: the import's idempotency key.
# Consumables' references have the same shape (they appear in paths).
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
ErpReference = Annotated[str, StringConstraints(strip_whitespace=True, pattern=REFERENCE.pattern)]
ModelCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
