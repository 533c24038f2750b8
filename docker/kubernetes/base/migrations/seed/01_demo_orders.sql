-- Demo rows; idempotent, so a re-run inserts nothing.
INSERT INTO ${schema}.orders (order_number, customer_email, total_cents)
VALUES ('DEMO-0001', 'alice@example.com', 4200),
       ('DEMO-0002', 'bob@example.com', 1999)
ON CONFLICT (order_number) DO NOTHING;
