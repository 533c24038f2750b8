-- Re-applied whenever this file changes.
CREATE OR REPLACE VIEW ${schema}.order_totals AS
SELECT status, count(*) AS orders, sum(total_cents) AS total_cents
FROM ${schema}.orders
GROUP BY status;
