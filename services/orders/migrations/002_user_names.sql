-- Who placed and handled orders: the name an order's history shows, beside the email its
-- events carry. An email change may arrive before the grant that names the user: the email
-- may be unknown for a while.
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
ALTER TABLE users ADD COLUMN name text NOT NULL DEFAULT '';
