-- Billing's read models, kept in the same transaction as the events (read-your-writes), and
-- its copy of identity's organisations (the ERP names a customer by its code).

CREATE TABLE organisations (
    organisation_id uuid PRIMARY KEY,
    code            text NOT NULL UNIQUE,
    legal_name      text NOT NULL,
    language        text NOT NULL,
    billing_address text[] NOT NULL DEFAULT '{}'
);

CREATE TABLE invoices (
    invoice_id              uuid PRIMARY KEY,
    organisation_id         uuid NOT NULL,
    number                  text NOT NULL UNIQUE,
    kind                    text NOT NULL,
    issue_date              date NOT NULL,
    due_date                date,
    currency                text NOT NULL,
    total_excl_tax          numeric(14, 2) NOT NULL,
    total_tax               numeric(14, 2) NOT NULL,
    total_incl_tax          numeric(14, 2) NOT NULL,
    amount_paid             numeric(14, 2) NOT NULL DEFAULT 0,
    balance                 numeric(14, 2) NOT NULL,
    status                  text NOT NULL,
    customer_name           text NOT NULL,
    billing_address         text[] NOT NULL DEFAULT '{}',
    lines                   jsonb NOT NULL,
    order_reference         text,
    credited_invoice_number text,
    pdf_source              text NOT NULL,
    pdf_size                integer NOT NULL,
    pdf_sha256              text NOT NULL,
    issued_at               timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL
);
-- The list: newest first, for one organisation, with or without a status filter; keyset
-- pagination on (issue_date, invoice_id).
CREATE INDEX invoices_by_organisation
    ON invoices (organisation_id, issue_date DESC, invoice_id DESC);
-- It also answers the outstanding total from the index alone (what is owed is summed over
-- the organisation's unpaid statuses).
CREATE INDEX invoices_by_organisation_status
    ON invoices (organisation_id, status, issue_date DESC, invoice_id DESC)
    INCLUDE (currency, balance);
CREATE INDEX invoices_newest ON invoices (issue_date DESC, invoice_id DESC);
-- The daily check: invoices still owed, by due date.
CREATE INDEX invoices_owed ON invoices (due_date)
    WHERE kind = 'invoice' AND status IN ('issued', 'partially_paid');

CREATE TABLE invoice_payments (
    invoice_id        uuid NOT NULL REFERENCES invoices,
    payment_reference text NOT NULL,
    amount            numeric(14, 2) NOT NULL,
    paid_on           date NOT NULL,
    recorded_at       timestamptz NOT NULL,
    PRIMARY KEY (invoice_id, payment_reference)
);

-- Written by the import with the document's first event (not a projection: no event names
-- them). Where its PDF is kept (shared.files storage, never shown), and what the ERP sent,
-- hashed: the same number sent again with other content is refused.
CREATE TABLE invoice_files (
    invoice_id  uuid PRIMARY KEY REFERENCES invoices,
    storage_key text NOT NULL,
    fingerprint text NOT NULL
);
