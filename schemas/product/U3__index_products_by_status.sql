-- schemagate:no-transaction
-- Undo of V3.
DROP INDEX CONCURRENTLY IF EXISTS ${schema}.products_status_category_idx;
