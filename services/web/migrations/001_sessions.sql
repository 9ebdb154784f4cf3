-- Server-side sessions of the web portal. The browser's cookie holds only a random id; the
-- row is found by its SHA-256, so a copy of this table opens no session. Tokens are sealed
-- (AES-GCM, bound to the row) with the portal's sealing key.
CREATE TABLE sessions (
    id_hash bytea PRIMARY KEY,
    csrf_token text NOT NULL,
    sealed_tokens text,            -- null before sign-in (the pre-session of a sign-in form)
    sealed_ticket text,            -- the forced password change's ticket, between two pages
    organisation_id uuid,
    remember boolean NOT NULL DEFAULT false,
    flash jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
