-- Stock levels (one row per product) and an ordered gallery of images.
CREATE TABLE ${schema}.product_inventory (
    product_id bigint      PRIMARY KEY REFERENCES ${schema}.products (id) ON DELETE CASCADE,
    quantity   integer     NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    reserved   integer     NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (reserved <= quantity)
);

CREATE TABLE ${schema}.product_images (
    id         bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id bigint  NOT NULL REFERENCES ${schema}.products (id) ON DELETE CASCADE,
    url        text    NOT NULL,
    alt_text   text    NOT NULL DEFAULT '',
    position   integer NOT NULL DEFAULT 0,
    UNIQUE (product_id, position)
);
