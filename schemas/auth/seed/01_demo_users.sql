-- Demo accounts (fixed ids so re-running inserts nothing). The password hashes are
-- placeholders that match no password: these accounts cannot log in.
INSERT INTO ${schema}.users (id, email, password_hash, role)
VALUES ('00000000-0000-4000-8000-000000000001', 'admin@example.com', '!demo-account-no-login', 'admin'),
       ('00000000-0000-4000-8000-000000000002', 'staff@example.com', '!demo-account-no-login', 'staff'),
       ('00000000-0000-4000-8000-000000000003', 'alice@example.com', '!demo-account-no-login', 'customer'),
       ('00000000-0000-4000-8000-000000000004', 'bob@example.com',   '!demo-account-no-login', 'customer')
ON CONFLICT DO NOTHING;
