-- Lines of a cart. The unit price is captured when the item is added (price snapshot).
CREATE TABLE ${schema}.cart_items (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cart_id          uuid        NOT NULL REFERENCES ${schema}.carts (id) ON DELETE CASCADE,
    product_id       bigint      NOT NULL,
    sku              text        NOT NULL,
    quantity         integer     NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    unit_price_cents integer     NOT NULL CHECK (unit_price_cents >= 0),
    added_at         timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (cart_id, sku)
);
