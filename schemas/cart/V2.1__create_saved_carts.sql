-- "Save for later": a named snapshot of a cart's lines as JSON.
CREATE TABLE ${schema}.saved_carts (
    id       uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id  uuid        NOT NULL,
    name     text        NOT NULL,
    items    jsonb       NOT NULL CHECK (jsonb_typeof(items) = 'array'),
    saved_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, name)
);
