-- Accounts of the ${service} service. Emails are unique case-insensitively through an index on
-- lower(email), so no citext extension is needed.
CREATE TYPE ${schema}.user_role AS ENUM ('customer', 'staff', 'admin');

CREATE TABLE ${schema}.users (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text        NOT NULL CHECK (position('@' IN email) > 1),
    password_hash text        NOT NULL,
    role          ${schema}.user_role NOT NULL DEFAULT 'customer',
    is_active     boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_email_lower_key ON ${schema}.users (lower(email));

COMMENT ON TABLE ${schema}.users IS 'Login accounts; owned by the ${service} service';
