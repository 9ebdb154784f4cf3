-- The delivery log, newest first: an organisation's emails, and its users' own emails that
-- speak of no organisation (password reset, address change).
CREATE INDEX outgoing_emails_log_by_organisation
    ON outgoing_emails (organisation_id, created_at DESC, email_id DESC);
CREATE INDEX outgoing_emails_log_by_user
    ON outgoing_emails (user_id, created_at DESC, email_id DESC) WHERE organisation_id IS NULL;
CREATE INDEX outgoing_emails_log ON outgoing_emails (created_at DESC, email_id DESC);
