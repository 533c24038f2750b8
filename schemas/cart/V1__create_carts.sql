-- Shopping carts of the ${service} service. A cart belongs to a user or, before login, to an
-- anonymous session. Users and products live in other services: they are referenced by id only,
-- never by foreign key.
CREATE TYPE ${schema}.cart_status AS ENUM ('active', 'checked_out', 'abandoned', 'merged');

CREATE TABLE ${schema}.carts (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid,
    session_token text,
    status        ${schema}.cart_status NOT NULL DEFAULT 'active',
    currency      char(3)     NOT NULL DEFAULT 'EUR',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (user_id IS NOT NULL OR session_token IS NOT NULL)
);

-- At most one active cart per user.
CREATE UNIQUE INDEX carts_one_active_per_user_key ON ${schema}.carts (user_id)
    WHERE status = 'active' AND user_id IS NOT NULL;
CREATE INDEX carts_session_token_idx ON ${schema}.carts (session_token)
    WHERE session_token IS NOT NULL;
