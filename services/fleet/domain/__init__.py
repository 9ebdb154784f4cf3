"""The fleet domain: pure code, no I/O."""

from services.fleet.domain.asset import Asset, NewAsset, Reading
from services.fleet.domain.contract import Contract
from services.fleet.domain.errors import (
    FleetRuleBroken,
    InvalidField,
    LowerCounter,
    ReadingLowerThanLast,
)
from services.fleet.domain.model import AssetModel, Consumable
from services.fleet.domain.site import Site

__all__ = [
    "Asset",
    "AssetModel",
    "Consumable",
    "Contract",
    "FleetRuleBroken",
    "InvalidField",
    "LowerCounter",
    "NewAsset",
    "Reading",
    "ReadingLowerThanLast",
    "Site",
]
