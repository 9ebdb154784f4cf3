-- The kit's tables, created in every service's own schema (search_path is the schema).

-- The event store: the source of truth. One row per event, ordered by position.
CREATE TABLE events (
    position        bigserial PRIMARY KEY,
    event_id        uuid NOT NULL UNIQUE,
    stream_id       text NOT NULL,
    stream_type     text NOT NULL,
    version         integer NOT NULL CHECK (version > 0),
    type            text NOT NULL,
    schema_version  integer NOT NULL CHECK (schema_version > 0),
    data            jsonb NOT NULL,
    organisation_id uuid,
    actor_id        text,
    correlation_id  text NOT NULL,
    causation_id    text,
    traceparent     text,
    tracestate      text,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Optimistic concurrency: two writers of the same version of a stream cannot both win.
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
);

-- The transactional outbox: events committed but not yet acknowledged by Kafka.
-- A row is written in the same transaction as its event and deleted once Kafka acks it.
CREATE TABLE outbox (
    position bigint PRIMARY KEY REFERENCES events (position)
);

-- Where the relay expects each partition of the service's topic to continue. A broker whose
-- end offset is behind this has lost acknowledged events, and the relay republishes.
CREATE TABLE relay_offsets (
    topic       text NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint NOT NULL,
    PRIMARY KEY (topic, partition)
);

-- Idempotent consumers: the effects of handling an event and this row commit together.
CREATE TABLE inbox (
    consumer   text NOT NULL,
    event_id   uuid NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
