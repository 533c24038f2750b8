-- A status with a constant default: no table rewrite on PostgreSQL 11 and later.
ALTER TABLE ${schema}.orders
    ADD COLUMN status text NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'paid', 'shipped', 'cancelled'));
