-- "One per customer" codes.
ALTER TABLE ${schema}.promo_codes
    ADD COLUMN max_uses_per_user integer CHECK (max_uses_per_user > 0);
