-- The storefront needs at least one category and one active product with stock.
SELECT (SELECT count(*) > 0 FROM ${schema}.categories)
   AND EXISTS (SELECT 1
               FROM ${schema}.products AS p
               JOIN ${schema}.product_inventory AS i ON i.product_id = p.id
               WHERE p.status = 'active' AND i.quantity > 0);
