-- Read models of identity, kept in the same transaction as the events they come from.

CREATE TABLE organisations (
    organisation_id uuid PRIMARY KEY,
    code            text NOT NULL,
    legal_name      text NOT NULL,
    status          text NOT NULL,
    language        text NOT NULL,
    currency        text NOT NULL,
    details         jsonb NOT NULL,
    referents       jsonb NOT NULL DEFAULT '{}',
    registered_at   timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
-- Codes are what customers quote; two organisations never share one, whatever the case.
CREATE UNIQUE INDEX organisations_code ON organisations (lower(code));

CREATE TABLE contacts (
    contact_id      uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations,
    first_name      text NOT NULL,
    last_name       text NOT NULL,
    title           text NOT NULL,
    department      text NOT NULL,
    contact_type    text NOT NULL,
    email           text,
    phone           text NOT NULL,
    mobile          text NOT NULL,
    fax             text NOT NULL,
    user_id         uuid,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX contacts_by_organisation ON contacts (organisation_id, last_name, first_name);

CREATE TABLE users (
    user_id     uuid PRIMARY KEY,
    user_code   text NOT NULL UNIQUE,
    -- Normalised (trimmed, lower case): the one form sign-in and uniqueness use.
    email       text NOT NULL UNIQUE,
    first_name  text NOT NULL,
    last_name   text NOT NULL,
    function    text NOT NULL DEFAULT '',
    phone       text NOT NULL DEFAULT '',
    language    text NOT NULL,
    staff_role  text,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE memberships (
    user_id          uuid NOT NULL REFERENCES users,
    organisation_id  uuid NOT NULL REFERENCES organisations,
    contact_id       uuid,
    role             text NOT NULL,
    status           text NOT NULL,
    modules          text[] NOT NULL,
    allowed_networks text[] NOT NULL DEFAULT '{}',
    branch_id        uuid,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (user_id, organisation_id)
);
CREATE INDEX memberships_by_organisation ON memberships (organisation_id, status);

-- User codes are the organisation's code followed by a counter (seed 002: 8005551 → 8005551216).
CREATE TABLE user_code_counters (
    prefix text PRIMARY KEY,
    last   integer NOT NULL
);

CREATE TABLE change_requests (
    request_id      uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations,
    requested_by    uuid NOT NULL,
    details         jsonb,
    referents       jsonb,
    status          text NOT NULL,
    decided_by      uuid,
    reason          text,
    requested_at    timestamptz NOT NULL,
    decided_at      timestamptz
);
CREATE INDEX change_requests_by_status ON change_requests (status, requested_at);
CREATE INDEX change_requests_by_organisation ON change_requests (organisation_id, requested_at);

CREATE TABLE consents (
    user_id    uuid NOT NULL,
    purpose    text NOT NULL,
    given      boolean NOT NULL,
    changed_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, purpose)
);

-- Credentials are state, not events: no password hash is ever published.
CREATE TABLE credentials (
    user_id       uuid PRIMARY KEY REFERENCES users,
    password_hash text NOT NULL,
    set_by_user   boolean NOT NULL,
    changed_at    timestamptz NOT NULL,
    expires_at    timestamptz
);

-- One-time tokens of emailed links and of the forced password change. Only their SHA-256 is
-- kept: a copy of this table opens nothing.
CREATE TABLE one_time_tokens (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL,
    purpose     text NOT NULL,
    remember_me boolean NOT NULL DEFAULT false,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX one_time_tokens_by_user ON one_time_tokens (user_id, purpose);

-- A session is a family of rotating refresh tokens, acting for one organisation at a time.
CREATE TABLE sessions (
    session_id      uuid PRIMARY KEY,
    user_id         uuid NOT NULL,
    organisation_id uuid,
    remember_me     boolean NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text
);
CREATE INDEX sessions_by_user ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions,
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

-- Failed sign-ins per normalised login and per client address, for the lockout.
CREATE TABLE sign_in_failures (
    key          text PRIMARY KEY,
    failures     integer NOT NULL,
    window_start timestamptz NOT NULL,
    locked_until timestamptz
);

-- Token signing keys (ES256). The private key is sealed with the service's sealing key.
CREATE TABLE signing_keys (
    kid         text PRIMARY KEY,
    private_key text NOT NULL,
    public_jwk  jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    retired_at  timestamptz
);
