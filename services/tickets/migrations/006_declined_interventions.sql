-- The vendor may decline a request waiting for validation (InterventionCancelled.by_vendor):
-- the page says who cancelled it. Requests cancelled before this were all the customer's.
ALTER TABLE interventions ADD COLUMN cancelled_by_vendor boolean NOT NULL DEFAULT false;
