"""The tickets service's settings: the vendor's support rules and where attachments go."""

from __future__ import annotations

from pydantic import Field, field_validator

from services.tickets.domain.service_levels import ServiceLevels
from services.tickets.domain_types import Priority
from shared.files.settings import FileStorageSettings

MEBIBYTE = 1024 * 1024


class TicketsSettings(FileStorageSettings):
    support_contract_required: bool = Field(
        default=False,
        description="Open support only to organisations with a support contract in force",
    )
    first_response_hours: dict[Priority, float] = Field(
        default={Priority.URGENT: 1, Priority.HIGH: 4, Priority.NORMAL: 8, Priority.LOW: 24},
        description="Hours from opening to the promised first response, per priority (JSON)",
    )
    resolution_hours: dict[Priority, float] = Field(
        default={Priority.URGENT: 8, Priority.HIGH: 24, Priority.NORMAL: 72, Priority.LOW: 168},
        description="Hours from opening to the promised resolution, per priority (JSON)",
    )
    attachment_max_bytes: int = Field(default=10 * MEBIBYTE, ge=1, le=1024 * MEBIBYTE)
    unattached_upload_hours: float = Field(
        default=24,
        gt=0,
        description="Uploads never attached to a message are deleted after this many hours",
    )

    @field_validator("first_response_hours", "resolution_hours")
    @classmethod
    def _every_priority_has_positive_hours(
        cls, hours: dict[Priority, float]
    ) -> dict[Priority, float]:
        missing = set(Priority) - set(hours)
        if missing:
            raise ValueError(f"give hours for {', '.join(sorted(missing))} too")
        if any(value <= 0 for value in hours.values()):
            raise ValueError("hours must be more than 0")
        return hours

    @property
    def service_levels(self) -> ServiceLevels:
        return ServiceLevels(self.first_response_hours, self.resolution_hours)
