-- The category tree of the ${service} catalogue: a category may have a parent.
CREATE TABLE ${schema}.categories (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id  bigint      REFERENCES ${schema}.categories (id) ON DELETE RESTRICT,
    slug       text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name       text        NOT NULL,
    position   integer     NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);

CREATE INDEX categories_parent_id_idx ON ${schema}.categories (parent_id, position);
