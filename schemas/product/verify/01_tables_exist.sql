-- The service's tables are where the service will look for them.
SELECT to_regclass('${schema}.categories') IS NOT NULL
   AND to_regclass('${schema}.products') IS NOT NULL
   AND to_regclass('${schema}.product_inventory') IS NOT NULL
   AND to_regclass('${schema}.product_images') IS NOT NULL
   AND to_regclass('${schema}.product_variants') IS NOT NULL;
