-- Each user's choice of which categories of notifications they get by email. No row: the
-- default, on. Mandatory categories (security) are never stored as off.
CREATE TABLE email_preferences (
    user_id    uuid NOT NULL,
    category   text NOT NULL,
    by_email   boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, category)
);

-- Who an email was for, when a user (the delivery log shows an organisation's admins their
-- own users' emails), and a fourth outcome: not sent because its recipient turned it off.
ALTER TABLE outgoing_emails ADD COLUMN user_id uuid;
ALTER TABLE outgoing_emails DROP CONSTRAINT outgoing_emails_status_check;
ALTER TABLE outgoing_emails ADD CONSTRAINT outgoing_emails_status_check
    CHECK (status IN ('pending', 'sent', 'failed', 'skipped'));
