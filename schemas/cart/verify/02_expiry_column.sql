-- V3 added carts.expires_at; the cleanup job depends on it.
SELECT EXISTS (SELECT 1
               FROM pg_attribute
               WHERE attrelid = to_regclass('${schema}.carts')
                 AND attname = 'expires_at'
                 AND NOT attisdropped);
