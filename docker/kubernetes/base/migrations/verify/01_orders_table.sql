-- The table and view the service reads exist where it looks for them.
SELECT to_regclass('${schema}.orders') IS NOT NULL
   AND to_regclass('${schema}.order_totals') IS NOT NULL;
