-- Memberships (user in an organisation) that identity blocked: the gateway refuses their
-- tokens at once, even while they are still valid. Kept from identity's events.
CREATE TABLE blocked_memberships (
    user_id         text NOT NULL,
    organisation_id uuid NOT NULL,
    blocked_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, organisation_id)
);
