"""Settings of the web portal."""

from __future__ import annotations

from pydantic import AnyHttpUrl, Field

from shared.sealing import SealingKey
from shared.settings import ServiceSettings


class WebSettings(ServiceSettings):
    kafka_bootstrap: str = Field(default="", description="Not used: the portal reads no events")
    gateway_url: AnyHttpUrl = Field(
        description="Internal URL of the gateway, e.g. http://gateway:8000: every page's data"
        " comes from its public API (/api/…)"
    )
    session_key: SealingKey = Field(
        description="Seals the tokens kept in server-side sessions (base64url, 32 bytes). The"
        " portal's own key: it never holds identity's sealing key, which opens emailed links"
    )
    secure_cookies: bool = Field(
        default=True,
        description="Session cookie `Secure` with the `__Host-` prefix; off only for a local"
        " portal served over plain http",
    )
    anonymous_session_minutes: int = Field(
        default=120, ge=5, description="Life of the session a sign-in form is bound to"
    )
    api_timeout: float = Field(default=30.0, gt=0, description="Longest wait for the API")
    upload_max_bytes: int = Field(
        default=25 * 1024 * 1024,
        ge=1024 * 1024,
        description="Largest form a signed-in user may post with files (a ticket and its"
        " attachments); other forms are limited to 1 MiB. The API limits each file too",
    )
