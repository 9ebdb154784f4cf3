-- Notifications' own copy of who can be emailed, built from identity's events: no service
-- reads another's tables. Rows are overwritten by later events (last fact wins).
CREATE TABLE directory_users (
    user_id    uuid PRIMARY KEY,
    email      text NOT NULL,
    first_name text NOT NULL DEFAULT '',
    last_name  text NOT NULL DEFAULT '',
    language   text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE directory_organisations (
    organisation_id uuid PRIMARY KEY,
    legal_name      text NOT NULL,
    language        text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- No foreign keys: events of different aggregates arrive in any order, so a membership may
-- be known before its user or its organisation. A NULL status is "not known yet".
CREATE TABLE directory_memberships (
    user_id         uuid NOT NULL,
    organisation_id uuid NOT NULL,
    status          text CHECK (status IN ('pending', 'active', 'blocked')),
    is_admin        boolean NOT NULL DEFAULT false,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, organisation_id)
);
CREATE INDEX directory_memberships_admins ON directory_memberships (organisation_id)
    WHERE is_admin AND status = 'active';

-- Emails for a user whose address is not known yet (their account's event has not arrived):
-- kept, rendered and queued when it does, under the original event id. No secret is ever
-- parked here: the emails carrying one-time links name their recipient in the event itself.
CREATE TABLE emails_awaiting_user (
    event_id        uuid NOT NULL,
    user_id         uuid NOT NULL,
    template        text NOT NULL,
    organisation_id uuid,
    mail_values     jsonb NOT NULL,
    parked_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, user_id, template)
);
CREATE INDEX emails_awaiting_user_user ON emails_awaiting_user (user_id);
