-- Keeps updated_at current on every UPDATE. Repeatable: edit this file and the next start
-- re-applies it after the versioned migrations.
CREATE OR REPLACE FUNCTION ${schema}.set_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$fn$;

CREATE OR REPLACE TRIGGER carts_set_updated_at
    BEFORE UPDATE ON ${schema}.carts
    FOR EACH ROW EXECUTE FUNCTION ${schema}.set_updated_at();

CREATE OR REPLACE TRIGGER cart_items_set_updated_at
    BEFORE UPDATE ON ${schema}.cart_items
    FOR EACH ROW EXECUTE FUNCTION ${schema}.set_updated_at();

CREATE OR REPLACE TRIGGER wishlists_set_updated_at
    BEFORE UPDATE ON ${schema}.wishlists
    FOR EACH ROW EXECUTE FUNCTION ${schema}.set_updated_at();
