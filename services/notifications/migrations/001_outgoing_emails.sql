-- Emails to send. A row is written in the same transaction as the inbox row of the event
-- that asked for it, so an event redelivered or a service restarted never adds a second one.
CREATE TABLE outgoing_emails (
    email_id        uuid PRIMARY KEY,
    event_id        uuid NOT NULL,
    organisation_id uuid,
    recipient       text NOT NULL,
    language        text NOT NULL,
    template        text NOT NULL,
    message_id      text NOT NULL UNIQUE,
    subject         text NOT NULL,
    text_body       text NOT NULL,
    html_body       text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    traceparent     text,
    CONSTRAINT one_email_per_event_and_recipient UNIQUE (event_id, recipient, template)
);
CREATE INDEX outgoing_emails_due ON outgoing_emails (next_attempt_at) WHERE status = 'pending';
