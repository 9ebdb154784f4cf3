"""The tickets service's settings: the vendor's support rules and where attachments go."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Self

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator

from services.tickets.attachments.s3 import S3Location
from services.tickets.domain.service_levels import ServiceLevels
from services.tickets.domain_types import Priority, UncoveredInterventions
from shared.settings import ServiceSettings

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


class TicketsSettings(ServiceSettings):
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
    attachments_dir: Path = Field(
        default=Path("var/tickets/attachments"),
        description="Directory where attachments are stored (a persistent volume), unless"
        " GUICHET_ATTACHMENTS_S3_BUCKET is set",
    )
    attachments_s3_bucket: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="S3 bucket to store attachments in, instead of GUICHET_ATTACHMENTS_DIR",
    )
    attachments_s3_url: AnyHttpUrl | None = Field(
        default=None,
        description="Endpoint of an S3-compatible service, e.g. https://s3.fr-par.scw.cloud;"
        " unset for AWS (then the region says where)",
    )
    attachments_s3_region: str | None = Field(default=None, description="e.g. eu-west-3")
    attachments_s3_prefix: str = Field(
        default="attachments/",
        pattern=r"^([A-Za-z0-9._-]+/)*$",
        description="Where in the bucket objects go, e.g. tickets/ (empty: the bucket's root)",
    )
    attachments_s3_path_style: bool = Field(
        default=False,
        description="Name the bucket in the URL's path (most self-hosted S3 servers), not in"
        " its host name",
    )
    attachments_s3_access_key_id: str | None = Field(
        default=None,
        description="Unset with the secret: the usual AWS chain (environment, instance or"
        " pod role)",
    )
    attachments_s3_secret_access_key: SecretStr | None = None
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

    @model_validator(mode="after")
    def _s3_settings_are_whole(self) -> Self:
        s3_fields = {name for name in self.model_fields_set if name.startswith("attachments_s3_")}
        if self.attachments_s3_bucket is None and s3_fields:
            given = ", ".join(f"GUICHET_{name.upper()}" for name in sorted(s3_fields))
            raise ValueError(
                f"{given} set without GUICHET_ATTACHMENTS_S3_BUCKET: set the bucket to store"
                " attachments in S3, or unset them to keep them in GUICHET_ATTACHMENTS_DIR"
            )
        if (self.attachments_s3_access_key_id is None) != (
            self.attachments_s3_secret_access_key is None
        ):
            raise ValueError(
                "set both GUICHET_ATTACHMENTS_S3_ACCESS_KEY_ID and"
                " GUICHET_ATTACHMENTS_S3_SECRET_ACCESS_KEY, or neither"
            )
        return self

    @property
    def attachments_s3(self) -> S3Location | None:
        """Where attachments go when they go to S3; None keeps them in the directory."""
        if self.attachments_s3_bucket is None:
            return None
        return S3Location(
            bucket=self.attachments_s3_bucket,
            prefix=self.attachments_s3_prefix,
            endpoint_url=(
                str(self.attachments_s3_url).rstrip("/") if self.attachments_s3_url else None
            ),
            region=self.attachments_s3_region,
            access_key_id=self.attachments_s3_access_key_id,
            secret_access_key=self.attachments_s3_secret_access_key,
            path_style=self.attachments_s3_path_style,
        )

    @property
    def service_levels(self) -> ServiceLevels:
        return ServiceLevels(self.first_response_hours, self.resolution_hours)
