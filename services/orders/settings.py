"""The orders service's settings: the vendor printed on delivery notes and how order numbers
look."""

from __future__ import annotations

from pydantic import Field, FilePath

from shared.settings import ServiceSettings


class OrdersSettings(ServiceSettings):
    vendor_name: str = Field(default="Guichet", description="Printed on delivery notes")
    vendor_logo_path: FilePath | None = Field(
        default=None, description="A PNG or JPEG printed at the top of delivery notes"
    )
    order_number_prefix: str = Field(
        default="C",
        pattern=r"^[A-Z]{1,4}$",
        description='Order numbers read "<prefix>-<year>-<6 digits>", e.g. C-2026-000042',
    )
