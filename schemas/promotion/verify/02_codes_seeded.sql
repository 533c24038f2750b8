-- Checkout expects the welcome code to exist and be active.
SELECT count(*) = 1 FROM ${schema}.promo_codes WHERE upper(code) = 'WELCOME10' AND is_active;
