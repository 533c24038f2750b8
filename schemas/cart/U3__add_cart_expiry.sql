-- Undo of V3: drop the expiry column and its index.
DROP INDEX IF EXISTS ${schema}.carts_active_expires_at_idx;
ALTER TABLE ${schema}.carts DROP COLUMN IF EXISTS expires_at;
