-- The service's tables are where the service will look for them.
SELECT to_regclass('${schema}.promo_codes') IS NOT NULL
   AND to_regclass('${schema}.promo_usage') IS NOT NULL
   AND to_regclass('${schema}.promotion_campaigns') IS NOT NULL;
