"""Identity's own Prometheus metrics, beside the kit's (shared/metrics.py)."""

from __future__ import annotations

from prometheus_client import Counter

SIGN_INS = Counter(
    "guichet_sign_ins_total",
    "Sign-in attempts by outcome: succeeded, password_change_required, refused (wrong login"
    " or password), locked_out, denied (right password, no access from here)",
    ["outcome"],
)
