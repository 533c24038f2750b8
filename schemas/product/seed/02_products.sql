-- Demo products with stock and a variant, keyed by SKU so that re-running inserts nothing.
INSERT INTO ${schema}.products (category_id, sku, name, price_cents, status, weight_grams)
SELECT c.id, p.sku, p.name, p.price_cents, p.status::${schema}.product_status, p.weight_grams
FROM (VALUES ('apparel-shirts', 'TSHIRT-ORG-001', 'Organic cotton T-shirt', 2490, 'active', 180),
             ('apparel-hoodies', 'HOODIE-ZIP-002', 'Zip hoodie', 5990, 'active', 620),
             ('home-mugs', 'MUG-ENAMEL-003', 'Enamel camping mug', 1450, 'active', 210),
             ('home-mugs', 'MUG-GLASS-004', 'Double-wall glass mug', 1990, 'draft', 260))
         AS p (category_slug, sku, name, price_cents, status, weight_grams)
JOIN ${schema}.categories AS c ON c.slug = p.category_slug
ON CONFLICT (sku) DO NOTHING;

INSERT INTO ${schema}.product_inventory (product_id, quantity)
SELECT id, 100 FROM ${schema}.products
WHERE sku IN ('TSHIRT-ORG-001', 'HOODIE-ZIP-002', 'MUG-ENAMEL-003', 'MUG-GLASS-004')
ON CONFLICT (product_id) DO NOTHING;

INSERT INTO ${schema}.product_variants (product_id, sku, attributes)
SELECT p.id, v.sku, v.attributes::jsonb
FROM (VALUES ('TSHIRT-ORG-001', 'TSHIRT-ORG-001-M', '{"size": "M"}'),
             ('TSHIRT-ORG-001', 'TSHIRT-ORG-001-L', '{"size": "L"}')) AS v (product_sku, sku, attributes)
JOIN ${schema}.products AS p ON p.sku = v.product_sku
ON CONFLICT (sku) DO NOTHING;
