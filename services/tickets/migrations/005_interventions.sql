-- Tickets' copy of fleet's assets and contracts (kept from fleet's events, no synchronous
-- call), and interventions on an asset, their own aggregate (docs/decisions/0012).

-- Every contract fleet publishes. An asset's events carry a snapshot of its contract's terms,
-- a contract's own events the terms as they are now: both land here, and the newest wins
-- (`terms_at`, the time of the event that carried them), whatever order the asset's and the
-- contract's partitions deliver them in. Only ContractEnded sets `ended_on`; nothing clears it.
CREATE TABLE contracts (
    contract_id          uuid PRIMARY KEY,
    organisation_id      uuid NOT NULL,
    number               text NOT NULL,
    contract_type        text,
    starts_on            date,
    ends_on              date,
    service_level        text,
    covers_support       boolean NOT NULL DEFAULT false,
    covers_interventions boolean NOT NULL DEFAULT false,
    ended_on             date,
    terms_at             timestamptz
);
CREATE INDEX contracts_by_organisation ON contracts (organisation_id);

-- The machines of each organisation, as a request names them.
CREATE TABLE assets (
    asset_id          uuid PRIMARY KEY,
    organisation_id   uuid NOT NULL,
    model_id          uuid NOT NULL,
    model_code        text NOT NULL,
    model_name        text NOT NULL,
    manufacturer      text NOT NULL,
    product_reference text,
    serial_number     text NOT NULL,
    site_id           uuid NOT NULL,
    site_name         text NOT NULL,
    location          text NOT NULL,
    status            text NOT NULL,
    contract_id       uuid
);
CREATE INDEX assets_by_organisation ON assets (organisation_id, serial_number);

-- Interventions share the tickets' numbers: a number quoted on the phone names one request.
CREATE TABLE interventions (
    intervention_id      uuid PRIMARY KEY,
    organisation_id      uuid NOT NULL,
    number               bigint NOT NULL UNIQUE,
    asset_id             uuid NOT NULL,
    serial_number        text NOT NULL,
    model_name           text NOT NULL,
    site_name            text NOT NULL,
    location             text NOT NULL,
    nature               text NOT NULL,
    nature_labels        jsonb NOT NULL,
    error_code           text,
    details              text NOT NULL,
    urgency              text NOT NULL,
    status               text NOT NULL,
    requested_by         uuid NOT NULL,
    requester_email      text NOT NULL,
    contract_id          uuid,
    contract_number      text,
    covered              boolean NOT NULL,
    requested_at         timestamptz NOT NULL,
    scheduled_for        timestamptz,
    technician           text,
    started_at           timestamptz,
    completed_at         timestamptz,
    report               text,
    cancelled_at         timestamptz,
    cancellation_comment text,
    updated_at           timestamptz NOT NULL,
    version              integer NOT NULL
);
-- An asset's interventions, newest first (the customer's list); the agents' list by status.
CREATE INDEX interventions_by_asset
    ON interventions (organisation_id, asset_id, requested_at DESC, intervention_id DESC);
CREATE INDEX interventions_by_organisation
    ON interventions (organisation_id, requested_at DESC, intervention_id DESC);
CREATE INDEX interventions_by_status ON interventions (status, requested_at, intervention_id);

-- A ticket may be about one of the organisation's machines (fleet's asset history shows it).
ALTER TABLE tickets ADD COLUMN asset_id uuid;

-- Attachments are uploaded the same way, and claimed by a ticket or by an intervention.
ALTER TABLE attachments ADD COLUMN intervention_id uuid REFERENCES interventions;
CREATE INDEX attachments_by_intervention ON attachments (intervention_id);
DROP INDEX attachments_unattached;
CREATE INDEX attachments_unattached ON attachments (uploaded_at)
    WHERE ticket_id IS NULL AND intervention_id IS NULL;
