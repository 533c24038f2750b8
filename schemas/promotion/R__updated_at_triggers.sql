-- Keeps updated_at current on every UPDATE. Repeatable: edit this file and the next start
-- re-applies it after the versioned migrations.
CREATE OR REPLACE FUNCTION ${schema}.set_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$fn$;

CREATE OR REPLACE TRIGGER promo_codes_set_updated_at
    BEFORE UPDATE ON ${schema}.promo_codes
    FOR EACH ROW EXECUTE FUNCTION ${schema}.set_updated_at();

CREATE OR REPLACE TRIGGER promotion_campaigns_set_updated_at
    BEFORE UPDATE ON ${schema}.promotion_campaigns
    FOR EACH ROW EXECUTE FUNCTION ${schema}.set_updated_at();
