-- A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind; make sure ours is valid.
SELECT coalesce((SELECT indisvalid
                 FROM pg_index
                 WHERE indexrelid = to_regclass('${schema}.products_status_category_idx')), false);
