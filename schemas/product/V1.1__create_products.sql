-- Products. Prices are integer minor units (cents) to avoid rounding.
CREATE TYPE ${schema}.product_status AS ENUM ('draft', 'active', 'archived');

CREATE TABLE ${schema}.products (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category_id bigint      NOT NULL REFERENCES ${schema}.categories (id),
    sku         text        NOT NULL UNIQUE,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    price_cents integer     NOT NULL CHECK (price_cents >= 0),
    currency    char(3)     NOT NULL DEFAULT 'EUR',
    status      ${schema}.product_status NOT NULL DEFAULT 'draft',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
