-- Demo codes; the unique index on upper(code) makes re-running a no-op.
INSERT INTO ${schema}.promo_codes (code, discount, value, min_order_cents, max_uses_per_user, starts_at, campaign_id)
SELECT c.code, c.discount::${schema}.discount_type, c.value, c.min_order_cents, c.per_user,
       '2024-01-01T00:00:00Z', (SELECT id FROM ${schema}.promotion_campaigns WHERE name = 'welcome')
FROM (VALUES ('WELCOME10', 'percentage', 10.00, 0, 1),
             ('FIVEOFF', 'fixed_amount', 500.00, 2500, NULL),
             ('SHIPFREE', 'free_shipping', 0.00, 4000, NULL))
         AS c (code, discount, value, min_order_cents, per_user)
ON CONFLICT DO NOTHING;
