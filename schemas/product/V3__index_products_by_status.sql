-- schemagate:no-transaction
-- The storefront lists active products per category. CONCURRENTLY does not block writes, and
-- cannot run inside a transaction, hence the directive above.
CREATE INDEX CONCURRENTLY IF NOT EXISTS products_status_category_idx
    ON ${schema}.products (status, category_id);
