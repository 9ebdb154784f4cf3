-- OAuth 2.0 clients and authorization codes (decision 0009). State, not events: the events
-- OAuthClientRegistered / OAuthClientRevoked say what happened, without the secret.

-- A registered client: a mobile app (public: redirect URIs, PKCE) or an internal system
-- (confidential: client credentials). Only the SHA-256 of a confidential client's secret is
-- kept; the secret is 256 random bits, shown once at registration.
CREATE TABLE oauth_clients (
    client_id     text PRIMARY KEY,
    name          text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('public', 'confidential')),
    redirect_uris text[] NOT NULL,
    scopes        text[] NOT NULL,
    secret_hash   bytea,
    registered_at timestamptz NOT NULL,
    registered_by uuid NOT NULL,
    revoked_at    timestamptz,
    CHECK ((kind = 'confidential') = (secret_hash IS NOT NULL))
);

-- An authorization code, by its SHA-256: single use, short-lived, bound to the client, the
-- redirect URI and the PKCE challenge. `session_id` is the session its exchange opened, ended
-- if the code is presented again.
CREATE TABLE authorization_codes (
    code_hash        bytea PRIMARY KEY,
    client_id        text NOT NULL REFERENCES oauth_clients,
    user_id          uuid NOT NULL,
    organisation_id  uuid,
    redirect_uri     text NOT NULL,
    scope            text NOT NULL,
    code_challenge   text NOT NULL,
    nonce            text,
    remember_me      boolean NOT NULL,
    authenticated_at timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    used_at          timestamptz,
    session_id       uuid
);
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);
CREATE INDEX authorization_codes_by_nonce ON authorization_codes (client_id, nonce)
    WHERE nonce IS NOT NULL;

-- A session opened through OAuth belongs to its client: only that client refreshes it, and
-- revoking the client ends it. First-party sessions have no client.
ALTER TABLE sessions
    ADD COLUMN client_id text REFERENCES oauth_clients,
    ADD COLUMN scope     text NOT NULL DEFAULT '';
CREATE INDEX sessions_by_client ON sessions (client_id)
    WHERE client_id IS NOT NULL AND revoked_at IS NULL;
