-- Orders' copies of what other services publish (no synchronous call): identity's
-- organisations and users (names on delivery notes, emails on events), fleet's sites, assets,
-- consumables catalogue and meter readings. Then the carts (plain state, ADR 0014) and the
-- orders' read models, kept in the same transaction as the order events.

CREATE TABLE organisations (
    organisation_id uuid PRIMARY KEY,
    legal_name      text NOT NULL
);

CREATE TABLE users (
    user_id uuid PRIMARY KEY,
    email   text NOT NULL
);

-- A site's branch: a user limited to a branch orders for its sites' machines only.
CREATE TABLE sites (
    site_id         uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    branch_id       uuid
);

-- No foreign keys to sites: fleet's events of different streams arrive in any order.
CREATE TABLE assets (
    asset_id        uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    model_id        uuid NOT NULL,
    model_name      text NOT NULL,
    serial_number   text NOT NULL,
    site_id         uuid NOT NULL,
    site_name       text NOT NULL,
    location        text NOT NULL,
    status          text NOT NULL
);
CREATE INDEX assets_by_organisation ON assets (organisation_id);

CREATE TABLE consumables (
    model_id               uuid NOT NULL,
    reference              text NOT NULL,
    description            text NOT NULL,
    max_quantity_per_order integer NOT NULL,
    withdrawn              boolean NOT NULL DEFAULT false,
    PRIMARY KEY (model_id, reference)
);

-- One row per reading; `pages` is the usage since the previous one, every counter summed
-- (NULL for a machine's first reading, which has no previous one).
CREATE TABLE meter_readings (
    reading_id uuid PRIMARY KEY,
    asset_id   uuid NOT NULL,
    read_on    date NOT NULL,
    pages      bigint
);
CREATE INDEX meter_readings_by_asset ON meter_readings (asset_id, read_on DESC);

-- The cart of one user acting for one organisation: its version counts changes (a checkout
-- locks this row, so two tabs validating the same cart place one set of orders), and
-- `last_checkout_id` names the orders the last validation placed while nothing changed since.
CREATE TABLE carts (
    organisation_id  uuid NOT NULL,
    user_id          uuid NOT NULL,
    version          integer NOT NULL DEFAULT 0,
    last_checkout_id uuid,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, user_id)
);

CREATE TABLE cart_entries (
    organisation_id    uuid NOT NULL,
    user_id            uuid NOT NULL,
    asset_id           uuid NOT NULL,
    lines              jsonb NOT NULL,
    delivery_comment   text,
    customer_reference text,
    added_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, user_id, asset_id),
    FOREIGN KEY (organisation_id, user_id) REFERENCES carts ON DELETE CASCADE
);

-- "C-2026-000042": one sequence for the vendor, the year of placing in front.
CREATE SEQUENCE order_numbers;

CREATE TABLE orders (
    order_id           uuid PRIMARY KEY,
    number             text NOT NULL UNIQUE,
    organisation_id    uuid NOT NULL,
    asset_id           uuid NOT NULL,
    checkout_id        uuid NOT NULL,
    status             text NOT NULL,
    placed_by          uuid NOT NULL,
    placed_at          timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    serial_number      text NOT NULL,
    model_name         text NOT NULL,
    site_name          text NOT NULL,
    location           text NOT NULL,
    delivery_comment   text,
    customer_reference text,
    version            integer NOT NULL
);
-- The customer's list, newest first, keyset on (placed_at, order_id), with or without filters.
CREATE INDEX orders_by_organisation ON orders (organisation_id, placed_at DESC, order_id DESC);
CREATE INDEX orders_by_organisation_status
    ON orders (organisation_id, status, placed_at DESC, order_id DESC);
CREATE INDEX orders_by_asset ON orders (asset_id, placed_at DESC, order_id DESC);
-- The back office's queue: oldest first within a status.
CREATE INDEX orders_by_status ON orders (status, placed_at, order_id);
CREATE INDEX orders_by_checkout ON orders (checkout_id);

CREATE TABLE order_lines (
    order_id      uuid NOT NULL REFERENCES orders ON DELETE CASCADE,
    position      integer NOT NULL,
    reference     text NOT NULL,
    description   text NOT NULL,
    quantity      integer NOT NULL,
    delivered     integer NOT NULL DEFAULT 0,
    stock_on_hand integer,
    PRIMARY KEY (order_id, position)
);

CREATE TABLE shipments (
    shipment_id          uuid PRIMARY KEY,
    order_id             uuid NOT NULL REFERENCES orders ON DELETE CASCADE,
    carrier              text NOT NULL,
    delivery_note_number text NOT NULL,
    lines                jsonb NOT NULL,
    outstanding          jsonb NOT NULL,
    shipped_by           uuid NOT NULL,
    shipped_at           timestamptz NOT NULL
);
CREATE INDEX shipments_by_order ON shipments (order_id, shipped_at);

-- Who did what, when: one row per event of the order.
CREATE TABLE order_history (
    order_id uuid NOT NULL REFERENCES orders ON DELETE CASCADE,
    version  integer NOT NULL,
    action   text NOT NULL,
    actor_id uuid NOT NULL,
    by_vendor boolean NOT NULL,
    at       timestamptz NOT NULL,
    comment  text,
    PRIMARY KEY (order_id, version)
);
