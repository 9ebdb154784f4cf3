-- A machine's orders (its page, the reorder hint): the organisation second, so a customer's
-- list of one machine is read in order, 25 rows for a page of 25 (docs/performance.md).
DROP INDEX orders_by_asset;
CREATE INDEX orders_by_asset
    ON orders (asset_id, organisation_id, placed_at DESC, order_id DESC);
