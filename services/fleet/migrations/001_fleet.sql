-- The fleet's read models, kept in the same transaction as the events (read-your-writes).

-- Identity's organisations, as fleet needs them: the ERP names an organisation by its code.
CREATE TABLE organisations (
    organisation_id uuid PRIMARY KEY,
    code            text NOT NULL UNIQUE,
    legal_name      text NOT NULL,
    branches        uuid[] NOT NULL DEFAULT '{}'
);

CREATE TABLE sites (
    site_id         uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    name            text NOT NULL,
    address         jsonb NOT NULL,
    branch_id       uuid,
    erp_reference   text UNIQUE,
    registered_at   timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         integer NOT NULL
);
CREATE INDEX sites_by_organisation ON sites (organisation_id, name, site_id);

CREATE TABLE contracts (
    contract_id          uuid PRIMARY KEY,
    organisation_id      uuid NOT NULL,
    number               text NOT NULL UNIQUE,
    contract_type        text NOT NULL,
    starts_on            date NOT NULL,
    ends_on              date,
    ended_on             date,
    end_reason           text,
    service_level        text,
    covers_support       boolean NOT NULL,
    covers_interventions boolean NOT NULL,
    reading_every_days   integer,
    erp_reference        text UNIQUE,
    registered_at        timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    version              integer NOT NULL
);
CREATE INDEX contracts_by_organisation ON contracts (organisation_id, number);

CREATE TABLE asset_models (
    model_id        uuid PRIMARY KEY,
    code            text NOT NULL UNIQUE,
    name            text NOT NULL,
    manufacturer    text NOT NULL,
    counters        text[] NOT NULL,
    version         integer NOT NULL
);

CREATE TABLE consumables (
    model_id               uuid NOT NULL REFERENCES asset_models,
    reference              text NOT NULL,
    description            text NOT NULL,
    max_quantity_per_order integer NOT NULL,
    PRIMARY KEY (model_id, reference)
);

CREATE TABLE assets (
    asset_id          uuid PRIMARY KEY,
    organisation_id   uuid NOT NULL,
    model_id          uuid NOT NULL REFERENCES asset_models,
    product_reference text,
    serial_number     text NOT NULL,
    site_id           uuid NOT NULL REFERENCES sites,
    location          text NOT NULL,
    status            text NOT NULL,
    installed_on      date,
    contract_id       uuid REFERENCES contracts,
    counters          text[] NOT NULL,
    last_values       jsonb NOT NULL DEFAULT '{}',
    last_read_on      date,
    last_read_by      uuid,
    erp_reference     text UNIQUE,
    registered_at     timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           integer NOT NULL,
    -- One machine is one serial number of one model, whoever registers it.
    UNIQUE (model_id, serial_number)
);
-- The fleet list: one organisation's assets by serial number (keyset pagination).
CREATE INDEX assets_by_organisation ON assets (organisation_id, serial_number, asset_id);
CREATE INDEX assets_by_contract ON assets (contract_id);

CREATE TABLE meter_readings (
    reading_id      uuid PRIMARY KEY,
    asset_id        uuid NOT NULL REFERENCES assets,
    organisation_id uuid NOT NULL,
    read_on         date NOT NULL,
    counters        jsonb NOT NULL,
    previous        jsonb NOT NULL,
    source          text NOT NULL,
    recorded_by     uuid,
    recorded_at     timestamptz NOT NULL
);
CREATE INDEX meter_readings_by_asset ON meter_readings (asset_id, recorded_at DESC, reading_id);

-- When each asset's meters are next due: a period (its contract's) after the last reading,
-- else after installation, else after the contract's start. Only machines in use, under a
-- contract not ended that asks for readings (queries drop contracts past their end date, as
-- of the day they ask for).
CREATE VIEW reading_schedule AS
SELECT a.asset_id, a.organisation_id, a.serial_number, m.name AS model_name,
       s.name AS site_name, a.location, a.last_read_on, a.last_read_by, c.contract_id,
       c.number AS contract_number, c.reading_every_days, c.ends_on AS contract_ends_on,
       coalesce(a.last_read_on, a.installed_on, c.starts_on) + c.reading_every_days AS due_on
FROM assets a
JOIN asset_models m USING (model_id)
JOIN sites s USING (site_id)
JOIN contracts c ON c.contract_id = a.contract_id
WHERE a.status <> 'withdrawn'
  AND cardinality(a.counters) > 0
  AND c.reading_every_days IS NOT NULL
  AND c.ended_on IS NULL;

-- Each asset is reminded once per due date, whoever runs the daily job and how often.
CREATE TABLE reading_reminders (
    asset_id        uuid NOT NULL REFERENCES assets,
    due_on          date NOT NULL,
    reminded_on     date NOT NULL,
    PRIMARY KEY (asset_id, due_on)
);

-- An asset's history, newest first: its own events, and entries other services' events
-- add (tickets, interventions, orders) through `services/fleet/timeline.py`. One entry per
-- event and asset (a contract's end is an entry of each asset it covered), whoever delivers
-- it how often.
CREATE TABLE asset_timeline (
    event_id        uuid NOT NULL,
    asset_id        uuid NOT NULL,
    organisation_id uuid NOT NULL,
    occurred_at     timestamptz NOT NULL,
    source          text NOT NULL,
    kind            text NOT NULL,
    summary         jsonb NOT NULL,
    staff_only      boolean NOT NULL DEFAULT false,
    -- Entries of the same moment (one transaction's events) in the order they were added.
    seq             bigint GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (asset_id, event_id)
);
CREATE INDEX asset_timeline_by_asset ON asset_timeline (asset_id, occurred_at DESC, seq DESC);
