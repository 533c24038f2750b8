-- Variants (size, colour, ...) with their own SKU and an optional price override.
CREATE TABLE ${schema}.product_variants (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id  bigint      NOT NULL REFERENCES ${schema}.products (id) ON DELETE CASCADE,
    sku         text        NOT NULL UNIQUE,
    attributes  jsonb       NOT NULL DEFAULT '{}'::jsonb,
    price_cents integer     CHECK (price_cents >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX product_variants_product_id_idx ON ${schema}.product_variants (product_id);
