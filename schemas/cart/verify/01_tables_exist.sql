-- The service's tables are where the service will look for them.
SELECT to_regclass('${schema}.carts') IS NOT NULL
   AND to_regclass('${schema}.cart_items') IS NOT NULL
   AND to_regclass('${schema}.wishlists') IS NOT NULL
   AND to_regclass('${schema}.wishlist_items') IS NOT NULL
   AND to_regclass('${schema}.saved_carts') IS NOT NULL;
