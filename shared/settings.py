"""Service settings read from `GUICHET_*` environment variables, failing fast when one is wrong."""

from __future__ import annotations

import sys
from typing import Literal, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AnyUrl, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """What every service needs; a service subclasses it to add its own settings."""

    model_config = SettingsConfigDict(env_prefix="GUICHET_", extra="ignore", frozen=True)

    database_url: str = Field(
        description="PostgreSQL URL, e.g. postgresql://user:pw@host:5432/guichet"
    )
    kafka_bootstrap: str = Field(description="Kafka bootstrap servers, e.g. host1:9092,host2:9092")
    public_url: AnyUrl = Field(
        description="Where users reach the portal, e.g. https://portal.example"
    )
    identity_url: AnyUrl | None = Field(
        default=None,
        description="Internal URL of the identity service, e.g. http://identity:8000: where"
        " access tokens' verification keys (JWKS) are fetched",
    )
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    kafka_namespace: str = Field(
        default="guichet",
        pattern=r"^[a-z][a-z0-9-]{0,40}$",
        description="Prefix of topics and consumer groups, so deployments can share a cluster",
    )
    kafka_partitions: int = Field(default=3, ge=1, le=256)
    kafka_fetch_max_wait_ms: int = Field(
        default=50,
        ge=1,
        le=5000,
        description="Longest a consumer's fetch waits for new records: bounds delivery latency"
        " on brokers that hold a fetch for its full wait (Tansu holds it for half)",
    )
    kafka_session_timeout_ms: int = Field(
        default=10_000,
        ge=1_000,
        le=1_800_000,
        description="How long the broker waits for a consumer's heartbeat before giving its"
        " partitions to the other replicas. A broker may hold a new member's join for half of"
        " it (Tansu does), so it also delays a consumer's start. Kafka brokers accept 6 s to"
        " 30 min by default (group.min/max.session.timeout.ms)",
    )
    kafka_replication_factor: int = Field(
        default=1, ge=1, description="Replicas of each topic created; 3 on a production cluster"
    )
    db_pool_min: int = Field(default=2, ge=1)
    db_pool_max: int = Field(default=10, ge=1)
    migrate_on_start: bool = Field(
        default=True, description="Apply migrations at start-up (off when a Helm job does it)"
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
    otlp_endpoint: AnyUrl | None = Field(
        default=None, description="OTLP/HTTP collector, e.g. http://otel-collector:4318"
    )
    timezone: str = Field(
        default="Europe/Paris",
        description="The vendor's IANA time zone: where a day starts and ends (due dates,"
        " overdue invoices) and the zone in which pages and emails show times",
    )

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in {"postgresql", "postgres"}:
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Europe/Paris") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap_servers(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"{server!r} is not host:port")
        return value

    @classmethod
    def from_env(cls) -> Self:
        """Read the environment; on a bad value, say which variable and why, then exit."""
        try:
            return cls()
        except ValidationError as error:
            lines = [f"{cls.__name__}: the environment is not usable:"]
            for problem in error.errors():
                if not problem["loc"]:  # a rule across settings names them in its message
                    lines.append(f"  {problem['msg']}")
                    continue
                field = str(problem["loc"][0])
                lines.append(f"  GUICHET_{field.upper()}: {problem['msg']}")
            print("\n".join(lines), file=sys.stderr)
            raise SystemExit(2) from None
