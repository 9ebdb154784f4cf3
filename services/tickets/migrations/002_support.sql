-- The full support experience: every field of a ticket, the conversation, internal notes,
-- unread counts, list preferences, attachments, and the local copies tickets keeps of other
-- services' data (users from identity; support contracts from fleet, once it publishes them).

-- Full-text search in French and English, plus the words as typed (codes, references).
CREATE FUNCTION ticket_text_vector(body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('french', body) || to_tsvector('english', body)
        || to_tsvector('simple', body);

CREATE FUNCTION ticket_text_query(words text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN websearch_to_tsquery('french', words) || websearch_to_tsquery('english', words)
        || websearch_to_tsquery('simple', words);

ALTER TABLE tickets
    ADD COLUMN requester_id uuid,
    ADD COLUMN opened_by uuid,
    ADD COLUMN ticket_type text NOT NULL DEFAULT 'incident',
    ADD COLUMN department text NOT NULL DEFAULT 'technical',
    ADD COLUMN assignee_id uuid,
    ADD COLUMN contract_id uuid,
    ADD COLUMN product text,
    ADD COLUMN site text,
    ADD COLUMN product_version text,
    ADD COLUMN nature text,
    ADD COLUMN severity text,
    ADD COLUMN wished_delivery_date date,
    ADD COLUMN reference_1 text,
    ADD COLUMN reference_2 text,
    ADD COLUMN first_response_due_at timestamptz,
    ADD COLUMN resolution_due_at timestamptz,
    ADD COLUMN received_at timestamptz,
    ADD COLUMN first_response_at timestamptz,
    ADD COLUMN resolved_at timestamptz,
    ADD COLUMN closed_at timestamptz,
    ADD COLUMN suspension_reason text,
    ADD COLUMN duplicate_of uuid,
    ADD COLUMN duplicate_id uuid,
    ADD COLUMN public_messages integer NOT NULL DEFAULT 0,
    ADD COLUMN search_vector tsvector NOT NULL DEFAULT ''::tsvector;

UPDATE tickets SET search_vector = ticket_text_vector(title || ' ' || description);

-- Keyset pagination, most recently changed first, for one organisation and for the queue.
DROP INDEX tickets_by_organisation;
CREATE INDEX tickets_by_organisation
    ON tickets (organisation_id, updated_at DESC, ticket_id DESC);
CREATE INDEX tickets_queue ON tickets (updated_at DESC, ticket_id DESC);
CREATE INDEX tickets_search ON tickets USING gin (search_vector);

-- The conversation a customer sees. Internal notes live in their own table, which no
-- customer-facing query reads.
CREATE TABLE ticket_messages (
    message_id      uuid PRIMARY KEY,
    ticket_id       uuid NOT NULL REFERENCES tickets,
    author_id       uuid NOT NULL,
    author_side     text NOT NULL,
    body            text NOT NULL,
    posted_at       timestamptz NOT NULL
);
CREATE INDEX ticket_messages_by_ticket ON ticket_messages (ticket_id, posted_at);

CREATE TABLE internal_notes (
    note_id         uuid PRIMARY KEY,
    ticket_id       uuid NOT NULL REFERENCES tickets,
    author_id       uuid NOT NULL,
    body            text NOT NULL,
    added_at        timestamptz NOT NULL
);
CREATE INDEX internal_notes_by_ticket ON internal_notes (ticket_id, added_at);

-- How many of a ticket's messages a user has read (unread = public_messages - this).
CREATE TABLE ticket_reads (
    user_id         uuid NOT NULL,
    ticket_id       uuid NOT NULL REFERENCES tickets,
    messages_read   integer NOT NULL,
    PRIMARY KEY (user_id, ticket_id)
);

-- The list's columns each user chose.
CREATE TABLE list_columns (
    user_id         uuid PRIMARY KEY,
    columns         text[] NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Files stored outside the database. A row is written (uploading) before its file, and
-- marked stored after it: every file on disk has a row, so the cleaner finds what a crash or
-- an abandoned upload left. Only stored rows can be attached, once.
CREATE TABLE attachments (
    attachment_id   uuid PRIMARY KEY,
    storage_key     text NOT NULL UNIQUE,
    uploaded_by     uuid NOT NULL,
    organisation_id uuid,
    filename        text NOT NULL,
    content_type    text,
    size            bigint,
    state           text NOT NULL CHECK (state IN ('uploading', 'stored')),
    uploaded_at     timestamptz NOT NULL DEFAULT now(),
    ticket_id       uuid REFERENCES tickets,
    message_id      uuid,           -- the message or note; null: attached at opening
    internal        boolean
);
CREATE INDEX attachments_by_ticket ON attachments (ticket_id);
CREATE INDEX attachments_unattached ON attachments (uploaded_at) WHERE ticket_id IS NULL;

-- Identity's users, as tickets needs them: names to show, addresses for the requester, and
-- who belongs to which organisation (to open a ticket on behalf of a colleague).
CREATE TABLE people (
    user_id         uuid PRIMARY KEY,
    email           text NOT NULL,
    first_name      text NOT NULL,
    last_name       text NOT NULL,
    is_staff        boolean NOT NULL DEFAULT false
);

CREATE TABLE memberships (
    user_id         uuid NOT NULL,
    organisation_id uuid NOT NULL,
    status          text NOT NULL CHECK (status IN ('pending', 'active', 'blocked')),
    PRIMARY KEY (user_id, organisation_id)
);

-- Support contracts, a copy of fleet's (no service publishes them yet: until one does, an
-- organisation has none, and "support contract required" refuses every ticket).
CREATE TABLE support_contracts (
    contract_id     uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    number          text NOT NULL,
    starts_on       date NOT NULL,
    ends_on         date
);
CREATE INDEX support_contracts_by_organisation ON support_contracts (organisation_id);
