-- Ticket numbers users quote on the phone: unique, increasing, never reused.
CREATE SEQUENCE ticket_number START 1000;

-- Read model of tickets, kept in the same transaction as the events (read-your-writes).
CREATE TABLE tickets (
    ticket_id       uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    number          bigint NOT NULL UNIQUE,
    title           text NOT NULL,
    description     text NOT NULL,
    priority        text NOT NULL,
    status          text NOT NULL,
    requester_email text NOT NULL,
    opened_at       timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         integer NOT NULL
);
CREATE INDEX tickets_by_organisation ON tickets (organisation_id, updated_at DESC, ticket_id);
