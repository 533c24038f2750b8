-- Profile data kept apart from credentials: one row per user, created lazily.
CREATE TABLE ${schema}.user_profiles (
    user_id          uuid        PRIMARY KEY REFERENCES ${schema}.users (id) ON DELETE CASCADE,
    display_name     text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
    locale           text        NOT NULL DEFAULT 'en-US',
    time_zone        text        NOT NULL DEFAULT 'UTC',
    marketing_opt_in boolean     NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
