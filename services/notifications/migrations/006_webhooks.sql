-- Endpoints an organisation's admins registered for its own events. The signing secret is
-- kept sealed (shared.sealing, bound to the endpoint's id): it must be used to sign, so a hash
-- would not do, and a copy of the table alone does not give it away.
CREATE TABLE webhook_endpoints (
    endpoint_id          uuid PRIMARY KEY,
    organisation_id      uuid NOT NULL,
    url                  text NOT NULL,
    event_types          text[] NOT NULL,
    description          text NOT NULL DEFAULT '',
    sealed_secret        text NOT NULL,
    created_by           uuid NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    status               text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    consecutive_failures integer NOT NULL DEFAULT 0,
    disabled_at          timestamptz
);
CREATE INDEX webhook_endpoints_of_organisation ON webhook_endpoints (organisation_id);

-- One delivery per (endpoint, event), written in the transaction that handles the event, so
-- a redelivered event adds none; sent by the dispatcher, retried with backoff.
CREATE TABLE webhook_deliveries (
    delivery_id     uuid PRIMARY KEY,
    endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints ON DELETE CASCADE,
    event_id        uuid NOT NULL,
    event_type      text NOT NULL,
    body            bytea NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    CONSTRAINT one_delivery_per_endpoint_and_event UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_of_endpoint
    ON webhook_deliveries (endpoint_id, created_at DESC, delivery_id DESC);

-- Every attempt, as the admin sees it: when, what the endpoint answered, how long it took.
CREATE TABLE webhook_attempts (
    delivery_id     uuid NOT NULL REFERENCES webhook_deliveries ON DELETE CASCADE,
    attempt         integer NOT NULL,
    attempted_at    timestamptz NOT NULL DEFAULT now(),
    response_status integer,
    error           text,
    duration_ms     integer NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
