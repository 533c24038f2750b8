-- Shipping needs a weight; existing products get 0 until someone fills it in.
ALTER TABLE ${schema}.products
    ADD COLUMN weight_grams integer NOT NULL DEFAULT 0 CHECK (weight_grams >= 0);
