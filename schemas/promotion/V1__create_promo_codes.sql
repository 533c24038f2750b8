-- Promo codes of the ${service} service. Codes are matched case-insensitively (unique on
-- upper(code)); a percentage discount is 0-100, other kinds are amounts in cents.
CREATE TYPE ${schema}.discount_type AS ENUM ('percentage', 'fixed_amount', 'free_shipping');

CREATE TABLE ${schema}.promo_codes (
    id              bigint        GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            text          NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{3,32}$'),
    discount        ${schema}.discount_type NOT NULL,
    value           numeric(10,2) NOT NULL DEFAULT 0 CHECK (value >= 0),
    min_order_cents integer       NOT NULL DEFAULT 0 CHECK (min_order_cents >= 0),
    max_uses        integer       CHECK (max_uses > 0),
    starts_at       timestamptz   NOT NULL DEFAULT now(),
    ends_at         timestamptz,
    is_active       boolean       NOT NULL DEFAULT true,
    created_at      timestamptz   NOT NULL DEFAULT now(),
    updated_at      timestamptz   NOT NULL DEFAULT now(),
    CHECK (ends_at IS NULL OR ends_at > starts_at),
    CHECK (discount <> 'percentage' OR value <= 100)
);

CREATE UNIQUE INDEX promo_codes_code_upper_key ON ${schema}.promo_codes (upper(code));
