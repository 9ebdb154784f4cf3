"""Identity's own Prometheus metrics, beside the kit's (shared/metrics.py)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

SIGN_INS = Counter(
    "guichet_sign_ins_total",
    "Sign-in attempts by outcome: succeeded, password_change_required, refused (wrong login"
    " or password), locked_out, denied (right password, no access from here)",
    ["outcome"],
)
SIGNING_KEY_AGE = Gauge(
    "guichet_signing_key_age_seconds",
    "Age of the key that signed the latest access token, when it signed it",
)
SIGNING_KEY_ROTATION = Gauge(
    "guichet_signing_key_rotation_seconds",
    "Age after which a new signing key is made (GUICHET_SIGNING_KEY_ROTATION_DAYS)",
)
