"""Where a service keeps its files: a local directory (a persistent volume) by default, or an
S3-compatible bucket. Every service that keeps files reads the same `GUICHET_ATTACHMENTS_*`
variables (each service has its own environment; defaults differ per service)."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import AnyHttpUrl, Field, SecretStr, model_validator

from shared.files.s3 import S3Location
from shared.settings import ServiceSettings


class FileStorageSettings(ServiceSettings):
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
