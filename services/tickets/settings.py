"""The tickets service's settings: the vendor's support rules and where attachments go."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from services.tickets.domain.service_levels import ServiceLevels
from services.tickets.domain_types import Priority, UncoveredInterventions
from shared.files.settings import FileStorageSettings

MEBIBYTE = 1024 * 1024
NATURE_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LABEL_LANGUAGES = ("fr", "en")

# Seed 003's "nature de l'intervention", for office equipment; a vendor sets its own list.
DEFAULT_NATURES: dict[str, dict[str, str]] = {
    "breakdown": {"fr": "Panne", "en": "Breakdown"},
    "paper_jam": {"fr": "Bourrage papier", "en": "Paper jam"},
    "print_quality": {"fr": "Qualité d'impression", "en": "Print quality"},
    "network_scan": {"fr": "Réseau / numérisation", "en": "Network / scanning"},
    "installation": {"fr": "Installation / déménagement", "en": "Installation / move"},
    "training": {"fr": "Formation", "en": "Training"},
    "other": {"fr": "Autre", "en": "Other"},
}


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

    intervention_natures: dict[str, dict[str, str]] = Field(
        default=DEFAULT_NATURES,
        description="The natures of intervention customers choose from, in order, JSON:"
        ' {"breakdown": {"fr": "Panne", "en": "Breakdown"}, …}',
    )
    intervention_uncovered: UncoveredInterventions = Field(
        default=UncoveredInterventions.FLAG,
        description="A request on a machine whose contract does not cover interventions:"
        " refuse it, or accept it flagged not covered",
    )

    @field_validator("intervention_natures")
    @classmethod
    def _natures_have_codes_and_labels(
        cls, natures: dict[str, dict[str, str]]
    ) -> dict[str, dict[str, str]]:
        if not natures:
            raise ValueError("give at least one nature")
        for code, labels in natures.items():
            if not NATURE_CODE.match(code):
                raise ValueError(
                    f"nature code {code!r}: lower-case letters, digits and _, at most 40"
                )
            missing = [language for language in LABEL_LANGUAGES if not labels.get(language)]
            if missing:
                raise ValueError(f"nature {code!r}: give its label in {', '.join(missing)}")
        return natures

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
