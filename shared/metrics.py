"""The Prometheus metrics every service exposes on /metrics (one registry per process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "guichet_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "guichet_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
EVENTS_APPENDED = Counter("guichet_events_appended_total", "Events appended", ["type"])
APPEND_CONFLICTS = Counter(
    "guichet_append_conflicts_total", "Appends refused because the stream had moved on"
)
OUTBOX_BACKLOG = Gauge(
    "guichet_outbox_backlog", "Events committed but not yet acknowledged by Kafka"
)
RELAY_PUBLISHED = Counter("guichet_relay_published_total", "Events acknowledged by Kafka")
RELAY_BROKER_DATA_LOSS = Counter(
    "guichet_relay_broker_data_loss_total",
    "Times the broker was found to have lost acknowledged events, causing a republication",
)
CONSUMED = Counter(
    "guichet_consumer_messages_total",
    "Messages handled by a consumer, by outcome (handled, duplicate, retried, dead_lettered)",
    ["consumer", "outcome"],
)
CONSUMER_LAG = Gauge(
    "guichet_consumer_lag", "Messages not yet handled", ["consumer", "topic", "partition"]
)
DEAD_LETTERS = Counter(
    "guichet_dead_letters_total", "Messages sent to a dead-letter topic", ["consumer"]
)
EMAILS_SENT = Counter(
    "guichet_emails_sent_total", "Emails accepted by the SMTP server", ["template"]
)
EMAILS_FAILED = Counter(
    "guichet_emails_failed_total",
    "Email sending attempts that failed, by whether the email will be retried",
    ["template", "final"],
)
