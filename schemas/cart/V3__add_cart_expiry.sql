-- Anonymous carts expire; the cleanup job finds them through a partial index.
ALTER TABLE ${schema}.carts ADD COLUMN expires_at timestamptz;

UPDATE ${schema}.carts
SET expires_at = updated_at + interval '30 days'
WHERE user_id IS NULL AND status = 'active';

CREATE INDEX carts_active_expires_at_idx ON ${schema}.carts (expires_at)
    WHERE status = 'active' AND expires_at IS NOT NULL;
