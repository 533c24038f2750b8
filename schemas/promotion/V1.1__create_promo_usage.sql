-- One row per redemption; an order can redeem a code once.
CREATE TABLE ${schema}.promo_usage (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    promo_code_id  bigint      NOT NULL REFERENCES ${schema}.promo_codes (id) ON DELETE RESTRICT,
    user_id        uuid        NOT NULL,
    order_ref      text        NOT NULL,
    discount_cents integer     NOT NULL CHECK (discount_cents >= 0),
    used_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (promo_code_id, order_ref)
);

CREATE INDEX promo_usage_code_user_idx ON ${schema}.promo_usage (promo_code_id, user_id);
