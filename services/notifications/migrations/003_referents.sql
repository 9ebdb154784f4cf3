-- The organisation's referents by kind, from identity's ReferentsChanged (the whole set as it
-- is now, so each event replaces the organisation's rows): who gets outage alerts
-- (technical), invoices (accounting, several allowed) and data-incident alerts (dpo).
CREATE TABLE directory_referents (
    organisation_id uuid NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('technical', 'accounting', 'dpo')),
    user_id         uuid NOT NULL,
    PRIMARY KEY (organisation_id, kind, user_id)
);
