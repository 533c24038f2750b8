-- A demo campaign, keyed by name.
INSERT INTO ${schema}.promotion_campaigns (name, description, budget_cents, starts_at)
VALUES ('welcome', 'New customers: first order discount', 500000, '2024-01-01T00:00:00Z')
ON CONFLICT (name) DO NOTHING;
