-- Keeps updated_at current on every UPDATE. Repeatable: edit this file and the next start
-- re-applies it after the versioned migrations.
CREATE OR REPLACE FUNCTION ${schema}.set_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$fn$;

CREATE OR REPLACE TRIGGER categories_set_updated_at
    BEFORE UPDATE ON ${schema}.categories
    FOR EACH ROW EXECUTE FUNCTION ${schema}.set_updated_at();

CREATE OR REPLACE TRIGGER products_set_updated_at
    BEFORE UPDATE ON ${schema}.products
    FOR EACH ROW EXECUTE FUNCTION ${schema}.set_updated_at();

CREATE OR REPLACE TRIGGER product_inventory_set_updated_at
    BEFORE UPDATE ON ${schema}.product_inventory
    FOR EACH ROW EXECUTE FUNCTION ${schema}.set_updated_at();

CREATE OR REPLACE TRIGGER product_variants_set_updated_at
    BEFORE UPDATE ON ${schema}.product_variants
    FOR EACH ROW EXECUTE FUNCTION ${schema}.set_updated_at();
