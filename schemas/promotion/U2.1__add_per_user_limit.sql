-- Undo of V2.1.
ALTER TABLE ${schema}.promo_codes DROP COLUMN IF EXISTS max_uses_per_user;
