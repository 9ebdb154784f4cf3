"""Settings of the gateway."""

from __future__ import annotations

from pydantic import AnyHttpUrl, Field, IPvAnyNetwork

from shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    upstreams: dict[str, AnyHttpUrl] = Field(
        default_factory=dict,
        description='Internal URL of each service, as JSON: {"identity": "http://identity:8000"}',
    )
    trusted_proxies: tuple[IPvAnyNetwork, ...] = Field(
        default=(),
        description="Networks of the load balancers in front of the gateway, as JSON: only"
        " their X-Forwarded-For is believed",
    )
    max_body_bytes: int = Field(
        default=25 * 1024 * 1024, ge=0, description="Largest request body forwarded"
    )
    upstream_connect_timeout: float = Field(default=3.0, gt=0)
    upstream_timeout: float = Field(
        default=60.0, gt=0, description="Longest wait for an upstream's response headers"
    )
    # Token buckets: a sustained rate per second and a burst, per replica (see docs/api.md).
    rate_per_subject: float = Field(default=20.0, gt=0)
    burst_per_subject: int = Field(default=60, ge=1)
    rate_per_ip: float = Field(default=50.0, gt=0)
    burst_per_ip: int = Field(default=150, ge=1)
    sign_in_per_minute_per_ip: float = Field(default=10.0, gt=0)
    sign_in_burst_per_ip: int = Field(default=10, ge=1)
    blocked_reload_seconds: float = Field(
        default=30.0, gt=0, description="Full reload of blocked users, should a NOTIFY be lost"
    )
    openapi_cache_seconds: float = Field(default=30.0, ge=0)
