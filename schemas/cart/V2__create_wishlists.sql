-- Named wishlists per user, optionally shared by link.
CREATE TABLE ${schema}.wishlists (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid        NOT NULL,
    name       text        NOT NULL DEFAULT 'Wishlist',
    is_public  boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, name)
);

CREATE TABLE ${schema}.wishlist_items (
    wishlist_id uuid        NOT NULL REFERENCES ${schema}.wishlists (id) ON DELETE CASCADE,
    sku         text        NOT NULL,
    product_id  bigint      NOT NULL,
    note        text,
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (wishlist_id, sku)
);
