-- One active cart and one wishlist for the demo customer (same id as in the auth seed; ids only,
-- the cart service does not read the auth database).
INSERT INTO ${schema}.carts (id, user_id, status, currency)
VALUES ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000003', 'active', 'EUR')
ON CONFLICT DO NOTHING;

INSERT INTO ${schema}.cart_items (cart_id, product_id, sku, quantity, unit_price_cents)
VALUES ('10000000-0000-4000-8000-000000000001', 1, 'TSHIRT-ORG-001', 2, 2490),
       ('10000000-0000-4000-8000-000000000001', 3, 'MUG-ENAMEL-003', 1, 1450)
ON CONFLICT (cart_id, sku) DO NOTHING;

INSERT INTO ${schema}.wishlists (id, user_id, name)
VALUES ('20000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000003', 'Birthday')
ON CONFLICT DO NOTHING;

INSERT INTO ${schema}.wishlist_items (wishlist_id, sku, product_id)
VALUES ('20000000-0000-4000-8000-000000000001', 'HOODIE-ZIP-002', 2)
ON CONFLICT DO NOTHING;
